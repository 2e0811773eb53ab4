use clap::Parser;
use persona_drift::{app, cli::Cli, error};

fn main() {
    let cli = Cli::parse();
    let code = match app::run(cli) {
        Ok(exit) => exit.code(),
        Err(err) => {
            // A closed pipe (e.g. `| head`) is not an error.
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                0
            } else {
                eprintln!("error: {err:#}");
                error::exit_code(&err).code()
            }
        }
    };
    std::process::exit(code);
}
