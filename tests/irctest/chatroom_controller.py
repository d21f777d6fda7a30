"""irctest controller for chatroom's step4_server, with accounts.

irctest (the IRC servers' conformance suite, ../shared/irctest) starts the
server through this module and registers accounts through
`step4_server accounts add --password-stdin`, so its SASL cases run
against the real binary:

    cd ../shared/irctest
    PYTHONPATH=/path/to/chatroom/tests/irctest CHATROOM_BIN=/path/to/step4_server \
        python3 -m pytest --controller chatroom_controller -k "SaslTestCase"

Accounts are made with 1000 PBKDF2 iterations: a debug build takes seconds
per check with the default work factor.
"""

import os
import subprocess
import tempfile
from typing import Optional, Set, Type

from irctest.basecontrollers import BaseServerController
from irctest.runner import NotImplementedByController


class ChatroomController(BaseServerController):
    software_name = "chatroom"
    supported_sasl_mechanisms: Set[str] = {"PLAIN"}
    supports_sts = False

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,
        faketime: Optional[str],
        websocket_hostname: Optional[str],
        websocket_port: Optional[int],
    ) -> None:
        if ssl:
            raise NotImplementedByController("TLS")
        if websocket_hostname is not None or websocket_port is not None:
            raise NotImplementedByController("Websocket")
        assert self.proc is None
        self.port = port
        self.hostname = hostname
        self.data_dir = tempfile.mkdtemp(prefix="chatroom-irctest-")
        env = dict(os.environ)
        env.pop("CHATROOM_PASSWORD", None)
        if password:
            env["CHATROOM_PASSWORD"] = password
        env["CHATROOM_ADMIN_PASSWORD"] = "operpassword"
        # `execute` starts it in a process group of its own, which irctest
        # kills at the end of each test.
        self.proc = self.execute(
            [
                self.binary(),
                "--host", hostname,
                "--port", str(port),
                "--data-dir", self.data_dir,
            ],
            env=env,
        )

    def wait_for_services(self) -> None:
        # Accounts are the server's own: no services to wait for.
        pass

    def binary(self) -> str:
        return os.environ.get("CHATROOM_BIN", "step4_server")

    def registerUser(self, case, username: str, password: Optional[str] = None) -> None:
        assert password
        subprocess.run(
            [
                self.binary(), "accounts", "add", username,
                "--password-stdin", "--iterations", "1000",
                "--data-dir", self.data_dir,
            ],
            input=password + "\n",
            text=True,
            check=True,
        )


def get_irctest_controller_class() -> Type[ChatroomController]:
    return ChatroomController
