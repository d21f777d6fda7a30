//! placeholder: step2_client is being written.
fn main() {}
