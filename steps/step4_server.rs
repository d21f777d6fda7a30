//! placeholder: step4_server is being written.
fn main() {}
