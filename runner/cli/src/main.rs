//! The `perfgate` binary: parse the command line and hand over to the commands.
fn main() -> std::process::ExitCode {
    perfgate_cli::cli::main()
}
