//! placeholder: step3_chat_client is being written.
fn main() {}
