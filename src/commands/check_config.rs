//! `newsflow check-config`: validates the configuration (file, environment,
//! flags) and prints the effective settings with secrets masked, so an
//! operator can see exactly what `newsflow run` would use.

use crate::config::{CliOverrides, Config};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub config: CliOverrides,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let config = Config::load(&args.config)?;
    #[cfg(feature = "kafka")]
    {
        // librdkafka checks property names and values only when a client is
        // created: create (and drop) both without connecting.
        use rdkafka::consumer::BaseConsumer;
        use rdkafka::producer::BaseProducer;
        let mut producer = config.producer_properties();
        if config.delivery.mode == crate::config::DeliveryMode::AtLeastOnce {
            producer.remove("transactional.id");
        }
        crate::stream::runtime::client_config(&config.consumer_properties())
            .create::<BaseConsumer>()
            .map_err(|e| anyhow::anyhow!("consumer properties rejected by librdkafka: {e}"))?;
        crate::stream::runtime::client_config(&producer)
            .create::<BaseProducer>()
            .map_err(|e| anyhow::anyhow!("producer properties rejected by librdkafka: {e}"))?;
    }
    print!("{}", config.to_masked_toml());
    eprintln!("configuration is valid");
    Ok(())
}
