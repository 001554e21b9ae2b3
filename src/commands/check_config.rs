//! `newsflow check-config`: validates the configuration (file, environment,
//! flags) and prints the effective settings with secrets masked, so an
//! operator can see exactly what `newsflow run` would use.

use crate::config::Config;

/// The same settings as `newsflow run` takes.
pub use crate::config::CliOverrides as Args;

pub fn run(args: Args) -> anyhow::Result<()> {
    let config = Config::load(&args)?;
    #[cfg(feature = "kafka")]
    crate::stream::runtime::check_client_properties(&config)?;
    print!("{}", config.to_masked_toml());
    eprintln!("configuration is valid");
    Ok(())
}
