//! Exports an admin receives as files: charts (PNG) and tables (CSV).
//!
//! Everything here is pure formatting: data in, bytes out. Nothing in this module queries the
//! database or talks to Telegram; the handlers that gather the data and send the files live
//! elsewhere in the admin crate.
//!
//! - [`chart`]: [`daily_chart_png`] draws values per day (e.g. revenue, Kie cost and margin in
//!   rubles) as a PNG for a Telegram photo, with a font embedded in the binary.
//! - [`csv`]: [`to_csv`] writes a [`Table`] as a UTF-8 CSV (with a BOM, formulas neutralised),
//!   [`describe_columns`] explains its columns to the admin.

pub mod chart;
pub mod csv;

pub use self::chart::{DailyChart, Series, daily_chart_png, daily_chart_png_sized};
pub use self::csv::{Column, Table, describe_columns, to_csv};
