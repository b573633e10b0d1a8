//! Tables as CSV files, for the admin panel to send as Telegram documents.
//!
//! The caller builds a [`Table`] (columns with a name and a meaning, rows of text cells);
//! [`to_csv`] makes the file, [`describe_columns`] the text that explains its columns to the
//! admin (sent beside the file, e.g. as its caption or a message).
//!
//! The file:
//! - is UTF-8 and starts with a byte order mark ([`UTF8_BOM`]): without it Excel reads a CSV
//!   in the system's ANSI code page and shows Cyrillic as mojibake; with it Excel, LibreOffice
//!   and Google Sheets all read UTF-8. Readers that do not expect a BOM see it in the first
//!   header name (the `csv` crate skips it);
//! - uses `,` between cells and CRLF between rows (RFC 4180), with a header row of the column
//!   names, and quotes a cell only when it must (a comma, a quote, a line break);
//! - neutralises spreadsheet formulas: user names and prompts come from users, and a cell such
//!   as `=HYPERLINK(...)` would run as a formula when the admin opens the file. A cell that
//!   starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, unless it is
//!   a plain decimal number (`-5.00`, `+3`, `12.5`), which stays a number.
//!
//! Known limit: Excel in a Russian locale, opening the file by double click, splits cells on
//! its list separator `;`, not `,`; importing it (Data → From Text/CSV) detects `,` correctly.
//!
//! This module never queries the database and never talks to Telegram: it only formats the
//! cells it is given.

use std::borrow::Cow;

use anyhow::{Context, Result, anyhow, ensure};

/// The UTF-8 byte order mark every file from [`to_csv`] starts with.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A column of a [`Table`]: its header and what it means, for [`describe_columns`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The header cell, e.g. "user_id".
    pub name: &'static str,
    /// One line for the admin, e.g. "Telegram id of the user".
    pub meaning: &'static str,
}

impl Column {
    /// A column with its header and meaning.
    pub const fn new(name: &'static str, meaning: &'static str) -> Self {
        Self { name, meaning }
    }
}

/// A table to export: a header of [`Column`]s, then rows with one cell per column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// The columns, in file order.
    pub columns: Vec<Column>,
    /// The rows; each has exactly `columns.len()` cells, already formatted as text
    /// (money as plain decimals such as "-5.00", dates as the caller chooses).
    pub rows: Vec<Vec<String>>,
}

/// The table as CSV bytes: [`UTF8_BOM`], the header row, then the rows (see the module docs).
///
/// Errors on a table with no columns or a row whose length differs from the columns'.
pub fn to_csv(table: &Table) -> Result<Vec<u8>> {
    ensure!(
        !table.columns.is_empty(),
        "a CSV table needs at least one column"
    );
    for (index, row) in table.rows.iter().enumerate() {
        ensure!(
            row.len() == table.columns.len(),
            "row {index} has {} cells for {} columns",
            row.len(),
            table.columns.len()
        );
    }

    let mut writer = ::csv::WriterBuilder::new()
        .delimiter(b',')
        .terminator(::csv::Terminator::CRLF)
        .quote_style(::csv::QuoteStyle::Necessary)
        .from_writer(UTF8_BOM.to_vec());
    writer
        .write_record(table.columns.iter().map(|column| column.name))
        .context("writing the CSV header")?;
    for row in &table.rows {
        writer
            .write_record(row.iter().map(|cell| neutralize_formula(cell).into_owned()))
            .context("writing a CSV row")?;
    }
    writer
        .into_inner()
        .map_err(|error| anyhow!("finishing the CSV: {}", error.error()))
}

/// The columns' meanings as plain text, one line per column: `name — meaning`.
///
/// Plain text: a caller sending it with an HTML or Markdown parse mode must escape it.
pub fn describe_columns(table: &Table) -> String {
    table
        .columns
        .iter()
        .map(|column| format!("• {} — {}", column.name, column.meaning))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Prefixes `'` to a cell a spreadsheet would read as a formula; plain numbers pass untouched.
fn neutralize_formula(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !is_plain_decimal(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// `[+-]digits[.digits]`: what a money or count cell looks like. No exponent, no spaces,
/// no thousands separators.
fn is_plain_decimal(cell: &str) -> bool {
    let unsigned = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: Vec<Vec<&str>>) -> Table {
        Table {
            columns: vec![
                Column::new("user", "Имя пользователя в Telegram"),
                Column::new("prompt", "Текст запроса"),
                Column::new("amount", "Сумма, ₽ (минус — списание)"),
            ],
            rows: rows
                .into_iter()
                .map(|row| row.into_iter().map(str::to_owned).collect())
                .collect(),
        }
    }

    /// Parses CSV bytes back (BOM checked and stripped) into the header and the rows.
    fn read_back(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
        let body = bytes.strip_prefix(UTF8_BOM).expect("starts with a BOM");
        let mut reader = ::csv::Reader::from_reader(body);
        let header = reader
            .headers()
            .expect("a header")
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = reader
            .records()
            .map(|record| {
                record
                    .expect("a record")
                    .iter()
                    .map(str::to_owned)
                    .collect()
            })
            .collect();
        (header, rows)
    }

    #[test]
    fn round_trips_through_the_csv_reader() {
        let cells = vec![
            vec!["Иван Петров", "кот в сапогах, 4k", "150.00"],
            vec![
                "O'Brien \"Bob\"",
                "line one\nline two\r\nline three",
                "-5.00",
            ],
            vec!["", "  spaces kept  ", "0"],
            vec!["emoji 🎨", "tab\tinside", "+3"],
        ];
        let bytes = to_csv(&table(cells.clone())).expect("writes");
        assert!(bytes.starts_with(UTF8_BOM));
        let (header, rows) = read_back(&bytes);
        assert_eq!(header, ["user", "prompt", "amount"]);
        assert_eq!(rows, cells);
    }

    #[test]
    fn the_csv_crate_also_skips_the_bom_itself() {
        let bytes = to_csv(&table(vec![vec!["a", "b", "1"]])).expect("writes");
        let mut reader = ::csv::Reader::from_reader(bytes.as_slice());
        assert_eq!(reader.headers().expect("a header").get(0), Some("user"));
    }

    #[test]
    fn quotes_only_what_needs_quoting_and_uses_crlf() {
        let bytes = to_csv(&table(vec![
            vec!["plain", "a,b", "1.50"],
            vec!["say \"hi\"", "two\nlines", "2"],
        ]))
        .expect("writes");
        let text = std::str::from_utf8(&bytes[UTF8_BOM.len()..]).expect("UTF-8");
        assert_eq!(
            text,
            "user,prompt,amount\r\nplain,\"a,b\",1.50\r\n\"say \"\"hi\"\"\",\"two\nlines\",2\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralised_and_numbers_untouched() {
        let cases = [
            // (cell, what the file must hold)
            (
                "=HYPERLINK(\"http://x\",\"click\")",
                "'=HYPERLINK(\"http://x\",\"click\")",
            ),
            ("=1+1", "'=1+1"),
            ("+7 999 123-45-67", "'+7 999 123-45-67"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("-", "'-"),
            ("--", "'--"),
            ("-5.", "'-5."),
            ("-.5", "'-.5"),
            ("-1e5", "'-1e5"),
            ("\t=cmd", "'\t=cmd"),
            ("\r=cmd", "'\r=cmd"),
            // Plain decimal numbers stay numbers.
            ("-5.00", "-5.00"),
            ("-0.01", "-0.01"),
            ("+3", "+3"),
            ("+12.50", "+12.50"),
            ("-120", "-120"),
            ("42", "42"),
            // Not at the start: harmless.
            ("a=b", "a=b"),
            (" =1+1", " =1+1"),
            ("Выручка", "Выручка"),
        ];
        let bytes = to_csv(&table(
            cases.iter().map(|(cell, _)| vec!["u", cell, "0"]).collect(),
        ))
        .expect("writes");
        let (_, rows) = read_back(&bytes);
        for ((cell, expected), row) in cases.iter().zip(&rows) {
            assert_eq!(&row[1], expected, "cell {cell:?}");
        }
        assert_eq!(rows.len(), cases.len());
    }

    #[test]
    fn plain_decimal_detection() {
        for yes in ["0", "5", "-5", "+5", "-5.00", "123456.789", "007"] {
            assert!(is_plain_decimal(yes), "{yes}");
        }
        for no in [
            "", "-", "+", ".", "-.", "5.", ".5", "1e5", "1 000", "1,5", "--5", "5-", "0x1F",
        ] {
            assert!(!is_plain_decimal(no), "{no}");
        }
    }

    #[test]
    fn an_empty_table_is_just_the_header() {
        let bytes = to_csv(&table(vec![])).expect("writes");
        assert_eq!(&bytes[UTF8_BOM.len()..], b"user,prompt,amount\r\n");
    }

    #[test]
    fn inconsistent_tables_are_errors() {
        let mut bad = table(vec![vec!["a", "b", "1"]]);
        bad.rows.push(vec!["only one".to_owned()]);
        let error = to_csv(&bad).expect_err("must refuse");
        assert!(
            error
                .to_string()
                .contains("row 1 has 1 cells for 3 columns"),
            "{error}"
        );
        assert!(to_csv(&Table::default()).is_err());
    }

    #[test]
    fn describes_the_columns() {
        assert_eq!(
            describe_columns(&table(vec![])),
            "• user — Имя пользователя в Telegram\n\
             • prompt — Текст запроса\n\
             • amount — Сумма, ₽ (минус — списание)"
        );
        assert_eq!(describe_columns(&Table::default()), "");
    }
}
