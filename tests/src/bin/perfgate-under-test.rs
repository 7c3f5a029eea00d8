//! The binary the end-to-end tests drive: identical to `perfgate` (see runner/src/main.rs).
fn main() -> std::process::ExitCode {
    perfgate_cli::cli::main()
}
