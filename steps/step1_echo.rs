//! placeholder: step1_echo is being written.
fn main() {}
