//! A daily chart as a PNG image, for the admin panel to send as a Telegram photo.
//!
//! Typical use: revenue, Kie cost and margin in rubles per day for the last 30 days.
//! The caller gathers the numbers (from the ledger, elsewhere) into a [`DailyChart`];
//! [`daily_chart_png`] only draws them.
//!
//! What this module is for, and what it must never do:
//! - It turns data it is given into PNG bytes, in process: drawn by `plotters` into an RGB
//!   buffer, encoded by the `png` crate. No external program, no system library, no temp file.
//! - Text is rendered from a font embedded in the binary
//!   (`crates/admin/assets/DejaVuSans-LatinCyrillic.ttf`, a Latin + Cyrillic subset of
//!   DejaVu Sans; license beside it), so it works in a container with no fonts installed.
//! - It never queries the database and never talks to Telegram: sending the bytes
//!   (as a photo, or as a document when a caller wants the lossless file) is the caller's job.
//! - It never panics on odd data: no days, a single day, all zeros, negative values
//!   (a negative margin) all produce a valid image. Inconsistent input (a series whose length
//!   differs from the number of days) and impossible sizes are errors, not panics.

use std::sync::OnceLock;

use anyhow::{Context, Result, ensure};
use chrono::NaiveDate;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Default width of [`daily_chart_png`], in pixels.
pub const WIDTH: u32 = 1200;
/// Default height of [`daily_chart_png`], in pixels.
pub const HEIGHT: u32 = 600;

/// Smallest width [`daily_chart_png_sized`] accepts (below it the layout does not fit).
pub const MIN_WIDTH: u32 = 320;
/// Smallest height [`daily_chart_png_sized`] accepts.
pub const MIN_HEIGHT: u32 = 200;
/// Telegram's limit for a photo: width + height at most 10000 pixels.
pub const MAX_WIDTH_PLUS_HEIGHT: u32 = 10_000;
/// Telegram's limit for a photo: the longer side at most 20 times the shorter one.
pub const MAX_ASPECT_RATIO: u32 = 20;

/// A chart of values per day: one line per [`Series`], the days on the X axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyChart {
    /// Drawn at the top, e.g. "Выручка и маржа за 30 дней".
    pub title: String,
    /// The X axis, in the order drawn (oldest first); labelled "dd.mm".
    pub days: Vec<NaiveDate>,
    /// The lines; each has exactly one value per day.
    pub series: Vec<Series>,
    /// Appended to the Y axis labels, e.g. "₽".
    pub unit: String,
}

/// One line of a [`DailyChart`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// Shown in the legend, e.g. "Себестоимость Kie".
    pub label: String,
    /// One value per day of [`DailyChart::days`], same order. Negative values are fine.
    pub values: Vec<Decimal>,
}

/// Draws `chart` as a [`WIDTH`]×[`HEIGHT`] PNG, a size Telegram accepts for a photo.
///
/// With no days (or no series) the result is an empty grid under the title: valid, but the
/// caller may prefer to send a text such as "no data" instead.
///
/// CPU-bound: about 7–10 ms in a release build (a ~20 KB PNG for 30 days); from async code
/// that renders often, call it inside `tokio::task::spawn_blocking`.
pub fn daily_chart_png(chart: &DailyChart) -> Result<Vec<u8>> {
    daily_chart_png_sized(chart, WIDTH, HEIGHT)
}

/// Like [`daily_chart_png`] at a chosen size, which must fit Telegram's photo limits
/// ([`MAX_WIDTH_PLUS_HEIGHT`], [`MAX_ASPECT_RATIO`]) and the layout ([`MIN_WIDTH`], [`MIN_HEIGHT`]).
pub fn daily_chart_png_sized(chart: &DailyChart, width: u32, height: u32) -> Result<Vec<u8>> {
    let rgb = render_rgb(chart, width, height)?;
    encode_png(&rgb, width, height)
}

/// The embedded font: DejaVu Sans 2.37 cut down to Latin, Cyrillic and a few symbols (₽, №, −).
const FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans-LatinCyrillic.ttf");
/// The name the embedded font is registered under in plotters' (process-wide) font table.
const FONT_FAMILY: &str = "admin-dejavu-sans";

/// Registers the embedded font with plotters, once per process.
///
/// plotters' `ab_glyph` feature keeps a global table of fonts by family name; text in a family
/// that is not registered fails to draw. Besides our own name, the font is also registered as
/// "sans-serif", the family plotters falls back to for styles given only a size.
fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        let ours = register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES).is_ok();
        let fallback = register_font("sans-serif", FontStyle::Normal, FONT_BYTES).is_ok();
        ours && fallback
    });
    ensure!(ok, "the embedded chart font could not be parsed");
    Ok(())
}

/// Line colours, in series order (Tableau 10: distinct, readable on white).
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x1f, 0x77, 0xb4), // blue
    RGBColor(0xd6, 0x27, 0x28), // red
    RGBColor(0x2c, 0xa0, 0x2c), // green
    RGBColor(0xff, 0x7f, 0x0e), // orange
    RGBColor(0x94, 0x67, 0xbd), // purple
    RGBColor(0x8c, 0x56, 0x4b), // brown
    RGBColor(0xe3, 0x77, 0xc2), // pink
    RGBColor(0x17, 0xbe, 0xcf), // cyan
];

/// Background of the image (tests look for pixels that differ from it).
const BACKGROUND: RGBColor = WHITE;

/// Validates the input and draws it into a fresh RGB buffer (3 bytes a pixel, row-major).
fn render_rgb(chart: &DailyChart, width: u32, height: u32) -> Result<Vec<u8>> {
    check_size(width, height)?;
    for series in &chart.series {
        ensure!(
            series.values.len() == chart.days.len(),
            "series {:?} has {} values for {} days",
            series.label,
            series.values.len(),
            chart.days.len()
        );
    }
    ensure_font()?;

    let pixels = usize::try_from(u64::from(width) * u64::from(height) * 3)
        .context("chart size overflows memory")?;
    let mut rgb = vec![0u8; pixels];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        draw(&root, chart)?;
        root.present().context("finishing the chart bitmap")?;
    }
    Ok(rgb)
}

fn check_size(width: u32, height: u32) -> Result<()> {
    ensure!(
        width >= MIN_WIDTH && height >= MIN_HEIGHT,
        "chart size {width}×{height} is below the minimum {MIN_WIDTH}×{MIN_HEIGHT}"
    );
    ensure!(
        width.saturating_add(height) <= MAX_WIDTH_PLUS_HEIGHT,
        "chart size {width}×{height}: Telegram wants width + height ≤ {MAX_WIDTH_PLUS_HEIGHT}"
    );
    let (long, short) = (width.max(height), width.min(height));
    ensure!(
        long <= short.saturating_mul(MAX_ASPECT_RATIO),
        "chart size {width}×{height}: Telegram wants an aspect ratio ≤ {MAX_ASPECT_RATIO}"
    );
    Ok(())
}

/// Money to a plotting coordinate.
///
/// Converting a `Decimal` to `f64` loses exactness; that is acceptable ONLY here, where the
/// number becomes a pixel position or an approximate axis tick. Never use this for sums,
/// balances or anything shown as an exact amount.
fn to_plot_coordinate(value: Decimal) -> f64 {
    value.to_f64().unwrap_or(0.0)
}

fn draw(root: &DrawingArea<BitMapBackend<'_>, Shift>, chart: &DailyChart) -> Result<()> {
    root.fill(&BACKGROUND).context("filling the background")?;
    let (width, height) = root.dim_in_pixel();
    // Font sizes and paddings are laid out for 1200×600 and scaled for other sizes.
    let scale = (f64::from(width) / f64::from(WIDTH))
        .min(f64::from(height) / f64::from(HEIGHT))
        .clamp(0.5, 3.0);
    let px = |base: f64| -> f64 { base * scale };
    let ipx = |base: f64| -> i32 { px(base).round() as i32 };
    let upx = |base: f64| -> u32 { px(base).round() as u32 };

    let title_style = TextStyle::from((FONT_FAMILY, px(28.0)).into_font()).color(&BLACK);
    let legend_style = TextStyle::from((FONT_FAMILY, px(18.0)).into_font()).color(&BLACK);
    let label_style = TextStyle::from((FONT_FAMILY, px(15.0)).into_font()).color(&BLACK);

    let (header, body) = root.split_vertically(upx(92.0));

    // Title.
    let pad = ipx(20.0);
    header
        .draw_text(&chart.title, &title_style, (pad, ipx(14.0)))
        .context("drawing the title")?;

    // Legend: a short line in the series colour, then its label, left to right.
    let mut x = pad;
    let legend_y = ipx(58.0);
    for (index, series) in chart.series.iter().enumerate() {
        let color = PALETTE[index % PALETTE.len()];
        let mid = legend_y + ipx(9.0);
        header
            .draw(&PathElement::new(
                vec![(x, mid), (x + ipx(30.0), mid)],
                color.stroke_width(upx(3.0).max(1)),
            ))
            .context("drawing the legend")?;
        header
            .draw(&Circle::new(
                (x + ipx(15.0), mid),
                upx(4.0).max(1),
                color.filled(),
            ))
            .context("drawing the legend")?;
        header
            .draw_text(&series.label, &legend_style, (x + ipx(38.0), legend_y))
            .context("drawing the legend")?;
        let (text_width, _) = header
            .estimate_text_size(&series.label, &legend_style)
            .context("measuring the legend")?;
        x = x
            .saturating_add(ipx(38.0))
            .saturating_add(i32::try_from(text_width).unwrap_or(i32::MAX))
            .saturating_add(ipx(32.0));
    }

    // The values, as plotting coordinates (see `to_plot_coordinate`).
    let lines: Vec<Vec<(f64, f64)>> = chart
        .series
        .iter()
        .map(|series| {
            series
                .values
                .iter()
                .enumerate()
                .map(|(day, value)| (day as f64, to_plot_coordinate(*value)))
                .collect()
        })
        .collect();
    let (y_min, y_max) = y_bounds(lines.iter().flatten().map(|&(_, y)| y));

    let days = chart.days.len();
    // Each day sits at an integer x; half a day of margin either side keeps the first and
    // last points off the frame, and gives a single day (or none) a non-empty range.
    let x_end = days.max(1) as f64 - 0.5;
    let y_label_area = upx(120.0);
    let plot_width = f64::from(width.saturating_sub(y_label_area + upx(60.0)));
    let max_labels = ((plot_width / px(64.0)).floor() as usize).max(1);
    let step = days.div_ceil(max_labels).max(1);
    // Labels counted back from the last day, which is the one an admin looks at first.
    let label_days: Vec<f64> = (0..days)
        .filter(|day| (days - 1 - day).is_multiple_of(step))
        .map(|day| day as f64)
        .collect();

    let y_span = y_max - y_min;
    let decimals = if y_span >= 50.0 { 0 } else { 2 };
    let x_labeller = |x: &f64| day_label(&chart.days, *x);
    let y_labeller = |y: &f64| value_label(*y, decimals, &chart.unit);

    let mut plot = ChartBuilder::on(&body)
        .margin_left(upx(10.0))
        .margin_right(upx(40.0))
        .margin_top(upx(8.0))
        .margin_bottom(upx(12.0))
        .x_label_area_size(upx(40.0))
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(
            DayAxis {
                end: x_end,
                labels: label_days,
            },
            y_min..y_max,
        )
        .context("laying out the chart")?;
    plot.configure_mesh()
        .disable_x_mesh()
        .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd).stroke_width(1))
        .light_line_style(RGBColor(0xf2, 0xf2, 0xf2).stroke_width(1))
        .axis_style(RGBColor(0x80, 0x80, 0x80).stroke_width(1))
        .y_labels(8)
        .y_max_light_lines(1)
        .x_label_formatter(&x_labeller)
        .y_label_formatter(&y_labeller)
        .label_style(label_style)
        .draw()
        .context("drawing the axes")?;

    // The zero line, when there is something below it (a negative margin).
    if y_min < 0.0 {
        plot.draw_series(std::iter::once(PathElement::new(
            vec![(DAY_AXIS_START, 0.0), (x_end, 0.0)],
            RGBColor(0x60, 0x60, 0x60).stroke_width(upx(2.0).max(1)),
        )))
        .context("drawing the zero line")?;
    }

    // Smaller dots when days are dense.
    let dot_radius = if days > 60 { upx(2.0) } else { upx(4.0) }.max(1);
    for (index, points) in lines.iter().enumerate() {
        let color = PALETTE[index % PALETTE.len()];
        plot.draw_series(LineSeries::new(
            points.iter().copied(),
            color.stroke_width(upx(3.0).max(1)),
        ))
        .context("drawing a series")?;
        // Dots, so that a single day (no line to draw) still shows, and days stand out.
        plot.draw_series(
            points
                .iter()
                .map(|&point| Circle::new(point, dot_radius, color.filled())),
        )
        .context("drawing a series")?;
    }
    Ok(())
}

/// Where the day axis starts: half a day before day 0.
const DAY_AXIS_START: f64 = -0.5;

/// The X axis: day `i` at `x = i`, from [`DAY_AXIS_START`] to `end`, with ticks (and labels)
/// exactly at `labels`. plotters' own `f64` axis picks "nice" ticks (0.5 steps and the like),
/// and its `with_key_points` wrapper loses the label formatter, hence this small axis.
struct DayAxis {
    end: f64,
    labels: Vec<f64>,
}

impl Ranged for DayAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, (low, high): (i32, i32)) -> i32 {
        let share = (value - DAY_AXIS_START) / (self.end - DAY_AXIS_START);
        let pixels = f64::from(high - low) * share;
        if pixels.is_finite() {
            low + pixels.round() as i32
        } else {
            low
        }
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.labels.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        DAY_AXIS_START..self.end
    }
}

/// The Y range: always includes zero, with some headroom; never empty.
fn y_bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut low, mut high) = values
        .filter(|v| v.is_finite())
        .fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if high <= low {
        // All zeros (or nothing): a unit range above zero.
        return (0.0, 1.0);
    }
    let headroom = (high - low) * 0.08;
    high += headroom;
    if low < 0.0 {
        low -= headroom;
    }
    (low, high)
}

/// "dd.mm" for a key point on the day axis; nothing for a position that is not a day.
fn day_label(days: &[NaiveDate], x: f64) -> String {
    let rounded = x.round();
    if (x - rounded).abs() > 1e-6 || rounded < 0.0 {
        return String::new();
    }
    days.get(rounded as usize)
        .map(|day| day.format("%d.%m").to_string())
        .unwrap_or_default()
}

/// A Y axis tick: the number with thin groups of thousands, then the unit ("12 500 ₽").
fn value_label(value: f64, decimals: usize, unit: &str) -> String {
    // Tick positions are approximate by nature; `-0` is shown as `0`.
    let value = if value.abs() < 1e-9 { 0.0 } else { value };
    let formatted = format!("{:.*}", decimals, value.abs());
    let (whole, fraction) = match formatted.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (formatted.as_str(), None),
    };
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(digit);
    }
    let mut label = String::new();
    if value < 0.0 {
        label.push('−'); // U+2212, the typographic minus (it is in the embedded font).
    }
    label.push_str(&grouped);
    if let Some(fraction) = fraction {
        label.push(',');
        label.push_str(fraction);
    }
    if !unit.is_empty() {
        label.push(' ');
        label.push_str(unit);
    }
    label
}

/// Encodes an RGB buffer (3 bytes a pixel) as an 8-bit RGB PNG.
fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Balanced);
    let mut writer = encoder.write_header().context("writing the PNG header")?;
    writer
        .write_image_data(rgb)
        .context("writing the PNG pixels")?;
    writer.finish().context("finishing the PNG")?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 1)
            .and_then(|start| start.checked_add_days(chrono::Days::new(u64::from(d))))
            .expect("valid test date")
    }

    fn sample(days: usize) -> DailyChart {
        let mut revenue = Vec::new();
        let mut cost = Vec::new();
        let mut margin = Vec::new();
        for i in 0..days {
            let r = Decimal::from(1000 + (i as i64 * 137) % 900);
            let c = Decimal::from(600 + (i as i64 * 211) % 800);
            revenue.push(r);
            cost.push(c);
            margin.push(r - c);
        }
        DailyChart {
            title: "Выручка, себестоимость и маржа за 30 дней".to_owned(),
            days: (0..days as u32).map(day).collect(),
            series: vec![
                Series {
                    label: "Выручка".to_owned(),
                    values: revenue,
                },
                Series {
                    label: "Себестоимость Kie".to_owned(),
                    values: cost,
                },
                Series {
                    label: "Маржа".to_owned(),
                    values: margin,
                },
            ],
            unit: "₽".to_owned(),
        }
    }

    /// Decodes a PNG into (width, height, RGB bytes).
    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut buf = vec![0; reader.output_buffer_size().expect("a sane size")];
        let info = reader.next_frame(&mut buf).expect("PNG pixels");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    /// Pixels in the rectangle [x0, x1) × [y0, y1) that are not the background.
    fn ink(rgb: &[u8], width: u32, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> usize {
        let bg = [BACKGROUND.0, BACKGROUND.1, BACKGROUND.2];
        let mut count = 0;
        for y in y0..y1 {
            for x in x0..x1 {
                let at = ((y * width + x) * 3) as usize;
                if rgb[at..at + 3] != bg {
                    count += 1;
                }
            }
        }
        count
    }

    /// Pixels of one colour anywhere in the image.
    fn pixels_of(rgb: &[u8], color: RGBColor) -> usize {
        rgb.chunks_exact(3)
            .filter(|p| p == &[color.0, color.1, color.2])
            .count()
    }

    #[test]
    fn thirty_days_decode_at_the_requested_size_with_ink_in_the_plot() {
        let png_bytes = daily_chart_png(&sample(30)).expect("renders");
        assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert!(
            png_bytes.len() < 10 * 1024 * 1024,
            "Telegram photo limit is 10 MB"
        );
        let (width, height, rgb) = decode(&png_bytes);
        assert_eq!((width, height), (WIDTH, HEIGHT));
        // The plot area: right of the Y labels, below the header, above the X labels.
        let plot_ink = ink(&rgb, width, (200, 150, 1100, 520));
        assert!(plot_ink > 2_000, "only {plot_ink} non-background pixels");
        // Every series colour is actually drawn.
        for color in &PALETTE[..3] {
            assert!(pixels_of(&rgb, *color) > 200, "colour {color:?} missing");
        }
    }

    #[test]
    fn other_sizes_are_honoured_and_bad_sizes_refused() {
        let (w, h, _) = decode(&daily_chart_png_sized(&sample(7), 800, 400).expect("renders"));
        assert_eq!((w, h), (800, 400));
        assert!(daily_chart_png_sized(&sample(7), 100, 100).is_err());
        assert!(daily_chart_png_sized(&sample(7), 9000, 2000).is_err());
        assert!(daily_chart_png_sized(&sample(7), 8000, 350).is_err());
    }

    #[test]
    fn empty_single_day_zero_and_negative_data_render() {
        let empty = DailyChart {
            title: "Нет данных".to_owned(),
            days: vec![],
            series: vec![],
            unit: "₽".to_owned(),
        };
        let no_days_with_series = DailyChart {
            series: vec![Series {
                label: "Выручка".to_owned(),
                values: vec![],
            }],
            ..empty.clone()
        };
        let days_without_series = DailyChart {
            series: vec![],
            ..sample(5)
        };
        let single = sample(1);
        let zeros = DailyChart {
            series: sample(10)
                .series
                .into_iter()
                .map(|s| Series {
                    values: vec![Decimal::ZERO; 10],
                    ..s
                })
                .collect(),
            ..sample(10)
        };
        let negative = DailyChart {
            series: vec![Series {
                label: "Маржа".to_owned(),
                values: vec![dec!(-120.50), dec!(-5.00), dec!(-0.01)],
            }],
            ..sample(3)
        };
        let huge = DailyChart {
            series: vec![Series {
                label: "Выручка".to_owned(),
                values: vec![Decimal::MAX, Decimal::MIN],
            }],
            ..sample(2)
        };
        let long_range = sample(400);
        for (name, chart) in [
            ("empty", &empty),
            ("no days, one series", &no_days_with_series),
            ("days, no series", &days_without_series),
            ("single day", &single),
            ("all zeros", &zeros),
            ("negative", &negative),
            ("extreme values", &huge),
            ("400 days", &long_range),
        ] {
            let png_bytes = daily_chart_png(chart).unwrap_or_else(|e| panic!("{name}: {e:#}"));
            let (w, h, _) = decode(&png_bytes);
            assert_eq!((w, h), (WIDTH, HEIGHT), "{name}");
        }
        // The single day is visible as a dot of each colour.
        let rgb = render_rgb(&single, WIDTH, HEIGHT).expect("renders");
        assert!(pixels_of(&rgb, PALETTE[0]) > 20);
        // The negative series is drawn below zero: its colour is there.
        let rgb = render_rgb(&negative, WIDTH, HEIGHT).expect("renders");
        assert!(pixels_of(&rgb, PALETTE[0]) > 100);
    }

    #[test]
    fn mismatched_lengths_are_an_error_not_a_panic() {
        let mut chart = sample(5);
        chart.series[1].values.pop();
        let error = daily_chart_png(&chart).expect_err("must refuse");
        assert!(error.to_string().contains("Себестоимость Kie"), "{error}");
    }

    #[test]
    fn cyrillic_title_and_labels_are_drawn() {
        let blank = DailyChart {
            title: String::new(),
            ..sample(3)
        };
        let blank_rgb = render_rgb(&blank, WIDTH, HEIGHT).expect("renders");
        let titled_rgb = render_rgb(&sample(3), WIDTH, HEIGHT).expect("renders");
        assert_ne!(blank_rgb, titled_rgb);
        // The title strip has ink only when there is a title.
        assert_eq!(ink(&blank_rgb, WIDTH, (0, 0, WIDTH, 50)), 0);
        assert!(ink(&titled_rgb, WIDTH, (0, 0, WIDTH, 50)) > 500);

        // Each letter the labels use has a glyph in the embedded font: a missing glyph would
        // draw nothing (the subset's .notdef is empty), so the title strip would stay blank.
        let letters: std::collections::BTreeSet<char> =
            "Выручка Себестоимость Kie Маржа ₽ ЁЖЩЪЭЮЯ ёжщъэюя № −"
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
        for letter in letters {
            let chart = DailyChart {
                title: letter.to_string(),
                ..blank.clone()
            };
            let rgb = render_rgb(&chart, MIN_WIDTH, MIN_HEIGHT).expect("renders");
            assert!(
                ink(&rgb, MIN_WIDTH, (0, 0, MIN_WIDTH, 25)) > 5,
                "no glyph drawn for {letter:?}"
            );
        }
    }

    /// Writes sample charts to the temp folder, to look at them:
    /// `cargo test -p admin -- --ignored dump_sample_charts`.
    #[test]
    #[ignore = "writes files; run by hand to look at the charts"]
    fn dump_sample_charts() {
        let negative = DailyChart {
            title: "Маржа (отрицательная)".to_owned(),
            series: vec![Series {
                label: "Маржа".to_owned(),
                values: vec![dec!(-120.50), dec!(35.00), dec!(-0.01)],
            }],
            ..sample(3)
        };
        let empty = DailyChart {
            days: vec![],
            series: vec![],
            ..sample(0)
        };
        for (name, chart) in [
            ("30-days", sample(30)),
            ("1-day", sample(1)),
            ("negative", negative),
            ("empty", empty),
            ("90-days", sample(90)),
        ] {
            let path = std::env::temp_dir().join(format!("admin-chart-{name}.png"));
            std::fs::write(&path, daily_chart_png(&chart).expect("renders")).expect("writes");
            println!("{}", path.display());
        }
    }

    #[test]
    fn labels_are_formatted() {
        assert_eq!(value_label(12_500.0, 0, "₽"), "12 500 ₽");
        assert_eq!(value_label(-1_234_567.0, 0, "₽"), "−1 234 567 ₽");
        assert_eq!(value_label(0.5, 2, "₽"), "0,50 ₽");
        assert_eq!(value_label(-0.0, 2, ""), "0,00");
        assert_eq!(value_label(100.0, 0, ""), "100");
        let days = [day(30), day(31)];
        assert_eq!(day_label(&days, 0.0), "01.12");
        assert_eq!(day_label(&days, 1.0), "02.12");
        assert_eq!(day_label(&days, 0.5), "");
        assert_eq!(day_label(&days, 2.0), "");
        assert_eq!(day_label(&days, -1.0), "");
    }

    #[test]
    fn y_bounds_include_zero_and_are_never_empty() {
        assert_eq!(y_bounds([].into_iter()), (0.0, 1.0));
        assert_eq!(y_bounds([0.0, 0.0].into_iter()), (0.0, 1.0));
        let (lo, hi) = y_bounds([10.0, 20.0].into_iter());
        assert!(lo == 0.0 && hi > 20.0);
        let (lo, hi) = y_bounds([-5.0, 20.0].into_iter());
        assert!(lo < -5.0 && hi > 20.0);
        let (lo, hi) = y_bounds([-5.0, -1.0].into_iter());
        assert!(lo < -5.0 && hi > 0.0);
    }
}
