//! Draws a built chart with plotters, as SVG and PNG: plot area, axes, lines, bands, fault
//! shading and the legend below the plot.

use super::*;

/// Shades clipped to `x_range`, sorted, with windows that overlap or lie within a pixel of each
/// other (by `pixel`, the x pixel of a value) merged; a merged window lists its distinct labels.
pub(super) fn merge_shades(
    shades: &[Shade],
    x_range: (f64, f64),
    pixel: impl Fn(f64) -> i32,
) -> Vec<(f64, f64, String)> {
    let mut windows: Vec<(f64, f64, &str)> = shades
        .iter()
        .map(|s| (s.start_s.max(x_range.0), s.end_s.min(x_range.1), s.label.as_str()))
        .filter(|(start, end, _)| start.partial_cmp(end) == Some(std::cmp::Ordering::Less))
        .collect();
    windows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut merged: Vec<(f64, f64, Vec<&str>)> = Vec::new();
    for (start, end, label) in windows {
        match merged.last_mut() {
            Some(last) if pixel(start) <= pixel(last.1) + 1 => {
                last.1 = last.1.max(end);
                if !last.2.contains(&label) {
                    last.2.push(label);
                }
            }
            _ => merged.push((start, end, vec![label])),
        }
    }
    merged
        .into_iter()
        .map(|(start, end, labels)| {
            let label = match labels.len() {
                0..=2 => labels.join(", "),
                n => format!("{}, {} and {} more", labels[0], labels[1], n - 2),
            };
            (start, end, label)
        })
        .collect()
}

/// How a legend entry is marked.
#[derive(Copy, Clone, Debug)]
pub(super) enum Mark {
    Line,
    Dashed,
    Band,
    Marker,
}

/// The legend below the plot: entries in rows of `columns`, row-major.
#[derive(Clone, Debug)]
pub(super) struct Legend {
    /// `(label, color, mark)`.
    entries: Vec<(String, usize, Mark)>,
    columns: usize,
    column_width: u32,
    /// Entries not shown (a note says how many).
    hidden: usize,
}

const LEGEND_FONT: u32 = 14;
const LEGEND_ROW: u32 = 22;
const LEGEND_MAX_ROWS: usize = 12;
/// Left edge of the plotting area (margin + y label area): the legend aligns with it.
const PLOT_LEFT: u32 = 12 + 84;

impl Legend {
    fn of(chart: &Chart) -> Legend {
        let mut entries: Vec<(String, usize, Mark)> = Vec::new();
        for band in &chart.bands {
            if let Some(label) = &band.label {
                entries.push((label.clone(), band.color, Mark::Band));
            }
        }
        for line in &chart.lines {
            if let Some(label) = &line.label {
                let mark = match (line.markers, line.dashed) {
                    (true, _) => Mark::Marker,
                    (false, true) => Mark::Dashed,
                    (false, false) => Mark::Line,
                };
                entries.push((label.clone(), line.color, mark));
            }
        }
        let font = (FONT, LEGEND_FONT).into_font();
        let widest = entries.iter().map(|e| font.box_size(&e.0).map_or(8 * e.0.len() as u32, |(w, _)| w)).max();
        let column_width = 36 + widest.unwrap_or(0) + 24;
        let available = WIDTH - PLOT_LEFT - 20;
        let columns = ((available / column_width) as usize).clamp(1, 4).min(entries.len().max(1));
        let capacity = columns * LEGEND_MAX_ROWS;
        let hidden = if entries.len() > capacity { entries.len() - (capacity - 1) } else { 0 };
        entries.truncate(entries.len() - hidden);
        Legend { entries, columns, column_width, hidden }
    }

    fn rows(&self) -> usize {
        (self.entries.len() + usize::from(self.hidden > 0)).div_ceil(self.columns)
    }

    /// Pixels the legend adds below the plot.
    fn height(&self) -> u32 {
        if self.entries.is_empty() { 0 } else { self.rows() as u32 * LEGEND_ROW + 14 }
    }

    fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let anchor = Pos::new(HPos::Left, VPos::Center);
        let font = (FONT, LEGEND_FONT).into_font().color(&BLACK).pos(anchor);
        let place = |i: usize| {
            let (row, column) = (i / self.columns, i % self.columns);
            (
                PLOT_LEFT as i32 + (column as u32 * self.column_width) as i32,
                (4 + row as u32 * LEGEND_ROW + LEGEND_ROW / 2) as i32,
            )
        };
        for (i, (label, color_index, mark)) in self.entries.iter().enumerate() {
            let (x, y) = place(i);
            let style = color(*color_index).stroke_width(2);
            match mark {
                Mark::Line => area.draw(&PathElement::new(vec![(x, y), (x + 26, y)], style))?,
                Mark::Dashed => area.draw(&DashedPathElement::new(vec![(x, y), (x + 26, y)], 6, 4, style))?,
                Mark::Marker => area.draw(&Circle::new((x + 13, y), 5, color(*color_index).filled()))?,
                Mark::Band => {
                    area.draw(&Rectangle::new([(x, y - 7), (x + 26, y + 7)], color(*color_index).mix(0.25).filled()))?
                }
            }
            area.draw(&Text::new(label.clone(), (x + 34, y), font.clone()))?;
        }
        if self.hidden > 0 {
            let (x, y) = place(self.entries.len());
            let note = format!("… and {} more (colors repeat after {})", self.hidden, PALETTE.len());
            let grey = (FONT, LEGEND_FONT).into_font().color(&RGBColor(100, 100, 100)).pos(anchor);
            area.draw(&Text::new(note, (x, y), grey))?;
        }
        Ok(())
    }
}

impl Chart {
    /// Image size: the plot, plus the legend below it.
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT + Legend::of(self).height())
    }
}

/// Draws `chart` on any plotters backend: the one drawing routine behind both SVG and PNG.
/// The area should have the size [`Chart::size`].
pub(super) fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    area.fill(&WHITE)?;
    let legend = Legend::of(chart);
    let (plot_area, legend_area) = area.split_vertically(HEIGHT);
    let mut builder = ChartBuilder::on(&plot_area);
    builder
        .caption(&chart.title, (FONT, 20))
        .margin(12)
        .margin_right(28)
        .x_label_area_size(52)
        .y_label_area_size(PLOT_LEFT - 12);
    let (x0, x1) = chart.x_range;
    let (y0, y1) = chart.y_range;
    match chart.x_axis {
        XAxis::Log => plot(builder.build_cartesian_2d((x0..x1).log_scale(), y0..y1)?, chart)?,
        XAxis::Linear | XAxis::Categories(_) => plot(builder.build_cartesian_2d(x0..x1, y0..y1)?, chart)?,
    }
    if legend.height() > 0 {
        legend.draw(&legend_area)?;
    }
    Ok(())
}

pub(super) fn plot<'a, DB, X>(
    mut ctx: ChartContext<'a, DB, Cartesian2d<X, RangedCoordf64>>,
    chart: &Chart,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let (x0, x1) = chart.x_range;
    let (y0, y1) = chart.y_range;
    let x_format = |v: &f64| match &chart.x_axis {
        XAxis::Categories(names) => category_label(names, *v),
        XAxis::Linear | XAxis::Log => tick(*v),
    };
    let y_format = |v: &f64| tick(*v);
    let mut mesh = ctx.configure_mesh();
    mesh.x_desc(chart.x_desc.as_str())
        .y_desc(chart.y_desc.as_str())
        .x_labels(chart.x_labels)
        .y_labels(10)
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .bold_line_style(RGBColor(200, 200, 200))
        .light_line_style(RGBColor(240, 240, 240));
    if matches!(chart.x_axis, XAxis::Categories(_)) {
        mesh.x_max_light_lines(0);
    }
    mesh.draw()?;

    // Windows closer than a pixel are merged (a renewal fault may record thousands), and a
    // label is drawn only where it does not run into the previous one.
    let pixel = |x: f64| ctx.backend_coord(&(x, y0)).0;
    let shades: Vec<(f64, f64, String, i32)> = merge_shades(&chart.shades, (x0, x1), pixel)
        .into_iter()
        .map(|(start, end, label)| (start, end, label, pixel(start)))
        .collect();
    let font = (FONT, 14).into_font();
    let mut label_end = i32::MIN;
    for (start, end, label, start_pixel) in shades {
        ctx.draw_series(std::iter::once(Rectangle::new([(start, y0), (end, y1)], SHADE_COLOR.mix(0.12).filled())))?;
        let left = start_pixel + 4;
        if left >= label_end {
            let width = font.box_size(&label).map_or(8 * label.len() as u32, |(w, _)| w);
            label_end = left + width as i32 + 8;
            let style = font.color(&SHADE_COLOR);
            ctx.draw_series(std::iter::once(EmptyElement::at((start, y1)) + Text::new(label, (4, 4), style)))?;
        }
    }

    for band in &chart.bands {
        let style = color(band.color).mix(0.18).filled();
        for segment in segments(&band.points, |p| p.1.is_finite() && p.2.is_finite()) {
            let mut outline: Vec<(f64, f64)> = segment.iter().map(|p| (p.0, p.2)).collect();
            outline.extend(segment.iter().rev().map(|p| (p.0, p.1)));
            ctx.draw_series(std::iter::once(Polygon::new(outline, style)))?;
        }
    }

    for line in &chart.lines {
        let style = color(line.color).stroke_width(2);
        if line.markers {
            let finite = line.points.iter().filter(|p| p.0.is_finite() && p.1.is_finite());
            ctx.draw_series(finite.map(|&p| Circle::new(p, 5, style.filled())))?;
            continue;
        }
        for segment in segments(&line.points, |p| p.1.is_finite()) {
            if segment.len() == 1 {
                ctx.draw_series(std::iter::once(Circle::new(segment[0], 3, style.filled())))?;
            } else if line.dashed {
                ctx.draw_series(DashedLineSeries::new(segment, 8, 5, style))?;
            } else {
                ctx.draw_series(LineSeries::new(segment, style))?;
            }
        }
    }

    if let Some(note) = &chart.note {
        let x = if matches!(chart.x_axis, XAxis::Log) { (x0 * x1).sqrt() } else { (x0 + x1) / 2.0 };
        let style = (FONT, 18).into_font().color(&RGBColor(120, 120, 120)).pos(Pos::new(HPos::Center, VPos::Center));
        ctx.draw_series(std::iter::once(Text::new(note.clone(), (x, (y0 + y1) / 2.0), style)))?;
    }
    Ok(())
}

pub(super) fn chart_error(path: &Path) -> impl FnOnce(String) -> ReportError + '_ {
    move |message| ReportError::Chart { path: path.to_path_buf(), message }
}

pub(super) fn render_svg(chart: &Chart) -> Result<String, String> {
    ensure_font()?;
    let mut svg = String::new();
    {
        let area = SVGBackend::with_string(&mut svg, chart.size()).into_drawing_area();
        draw(&area, chart).map_err(|e| e.to_string())?;
        area.present().map_err(|e| e.to_string())?;
    }
    Ok(svg)
}

pub(super) fn render_png(chart: &Chart) -> Result<Vec<u8>, String> {
    ensure_font()?;
    let (width, height) = chart.size();
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        draw(&area, chart).map_err(|e| e.to_string())?;
        area.present().map_err(|e| e.to_string())?;
    }
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Default, not Best: the same file sizes for these flat-colour charts (1.7 MB for the
    // aurora-az-outage charts either way) at a fraction of the deflate time; Fast made them
    // five times larger.
    encoder.set_compression(png::Compression::Default);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&pixels).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(png)
}
