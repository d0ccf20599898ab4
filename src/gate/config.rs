//! Loading the gate's configuration: `--config FILE` from disk, else
//! `.manifest-gate.yaml` at the base revision, else inferred.

use crate::error::{Error, ErrorKind, Result};
use crate::policy::{read_text, Config, LoadedConfig, CONFIG_FILE};
use crate::source::Source;
use std::path::Path;

/// Load the configuration for a check whose base is `base` (`base_spec` as given).
pub fn load_config(
    base: &dyn Source,
    base_spec: &str,
    file: Option<&Path>,
) -> Result<LoadedConfig> {
    if let Some(p) = file {
        let bytes = std::fs::read(p).map_err(|e| {
            Error::msg(format!(
                "cannot read configuration file '{}': {e}",
                p.display()
            ))
            .kind(ErrorKind::Io)
        })?;
        let shown = p.display().to_string();
        let text = crate::yaml::decode(&bytes, &shown)?;
        let config = Config::parse(&text, &shown)?;
        return Ok(LoadedConfig {
            config,
            source: format!("{shown} (from --config)"),
            text: Some(text),
            from_disk: true,
        });
    }
    match read_text(base, CONFIG_FILE)? {
        Some(text) => Ok(LoadedConfig {
            config: Config::parse(&text, CONFIG_FILE)?,
            source: format!("{CONFIG_FILE} at base {base_spec}"),
            text: Some(text),
            from_disk: false,
        }),
        None => Ok(LoadedConfig {
            config: Config::inferred(),
            source: "none (environments inferred from path names)".to_string(),
            text: None,
            from_disk: false,
        }),
    }
}
