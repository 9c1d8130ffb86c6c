//! `portalctl`: see `portalctl --help`.

use clap::Parser;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let cli = portalctl::Cli::parse();
    let code = match portalctl::portal_from_environment().await {
        Ok(portal) => {
            let mut out = std::io::stdout();
            match portalctl::run(&cli, &portal, &mut out).await {
                Ok(()) => 0,
                Err(err) => {
                    eprintln!("portalctl: {err}");
                    err.exit_code()
                }
            }
        }
        Err(err) => {
            eprintln!("portalctl: {err}");
            err.exit_code()
        }
    };
    std::process::exit(code);
}
