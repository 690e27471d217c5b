//! The report as PDF, written in-process: A4 pages, the organisation in the header, page numbers,
//! vector bar charts, and DejaVu Sans embedded (it covers Vietnamese) with a ToUnicode map, so
//! text can be searched and copied with its diacritics.
//!
//! Text is laid out by the font's advance widths, one glyph per character (Vietnamese letters are
//! precomposed in NFC, which is what our labels are; log text in decomposed form still renders,
//! its marks placed after the letter). Lines wrap at word boundaries; table cells too long for
//! their column are cut with "…"; a block that does not fit goes to the next page.

use std::collections::BTreeMap;
use std::io::Write as _;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};

use super::MonthlyReport;
use super::render::{Block, blocks};
use crate::error::{Error, Result};
use crate::notify::config::Lang;

/// DejaVu Sans (Bitstream Vera licence, `engine/assets/fonts/LICENSE-DejaVu.txt`).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 50.0;
const TOP: f32 = PAGE_H - 70.0;
const BOTTOM: f32 = 60.0;
const FONT_NAME: Name<'static> = Name(b"F1");

/// Lays out text and shapes page by page.
struct Layout<'f> {
    face: ttf_parser::Face<'f>,
    units: f32,
    pages: Vec<Content>,
    page: Content,
    y: f32,
    /// Glyphs used, with the character each stands for (widths and the ToUnicode map).
    used: BTreeMap<u16, char>,
}

impl<'f> Layout<'f> {
    fn new(face: ttf_parser::Face<'f>) -> Layout<'f> {
        Layout {
            units: f32::from(face.units_per_em()),
            face,
            pages: Vec::new(),
            page: Content::new(),
            y: TOP,
            used: BTreeMap::new(),
        }
    }

    fn glyph(&mut self, c: char) -> u16 {
        let id = self
            .face
            .glyph_index(c)
            .or_else(|| self.face.glyph_index('?'))
            .map_or(0, |g| g.0);
        self.used.entry(id).or_insert(c);
        id
    }

    fn advance(&self, c: char) -> f32 {
        self.face
            .glyph_index(c)
            .and_then(|g| self.face.glyph_hor_advance(g))
            .map_or(self.units / 2.0, f32::from)
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(c)).sum::<f32>() * size / self.units
    }

    /// Text cut to `max` points wide, ending in "…" when cut.
    fn fit(&self, text: &str, size: f32, max: f32) -> String {
        if self.width(text, size) <= max {
            return text.to_owned();
        }
        let mut out = String::new();
        let ellipsis = self.width("…", size);
        let mut w = 0.0;
        for c in text.chars() {
            let cw = self.advance(c) * size / self.units;
            if w + cw + ellipsis > max {
                break;
            }
            w += cw;
            out.push(c);
        }
        out.push('…');
        out
    }

    fn text_at(&mut self, x: f32, y: f32, size: f32, text: &str, rgb: (f32, f32, f32)) {
        let mut bytes = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            // Controls have no glyph; a log line's are shown as a space.
            let c = if crate::text::is_hidden(c) { ' ' } else { c };
            bytes.extend_from_slice(&self.glyph(c).to_be_bytes());
        }
        self.page.set_fill_rgb(rgb.0, rgb.1, rgb.2);
        self.page.begin_text();
        self.page.set_font(FONT_NAME, size);
        self.page.next_line(x, y);
        self.page.show(Str(&bytes));
        self.page.end_text();
    }

    fn new_page(&mut self) {
        let done = std::mem::replace(&mut self.page, Content::new());
        self.pages.push(done);
        self.y = TOP;
    }

    /// Makes room for `height` points, on a new page if needed.
    fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.new_page();
        }
    }

    /// A wrapped paragraph.
    /// `text` broken at spaces into lines no wider than `max` (a word wider than that is cut).
    fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut line = String::new();
        let mut lines = Vec::new();
        for word in text.split(' ') {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if self.width(&candidate, size) > max && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line = word.to_owned();
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines.into_iter().map(|l| self.fit(&l, size, max)).collect()
    }

    fn paragraph(&mut self, text: &str, size: f32, rgb: (f32, f32, f32)) {
        for l in self.wrap(text, size, PAGE_W - 2.0 * MARGIN) {
            self.room(size * 1.4);
            self.text_at(MARGIN, self.y - size, size, &l, rgb);
            self.y -= size * 1.4;
        }
    }

    fn table(&mut self, head: &[String], rows: &[Vec<String>]) {
        let size = 8.5;
        let line = size * 1.6;
        let pad = 6.0;
        let columns = head.len().max(1);
        let max = PAGE_W - 2.0 * MARGIN;
        // Each column as wide as its widest cell; when they do not fit, the columns wider than an
        // equal share give up room in proportion and their cells wrap.
        let mut widths: Vec<f32> = (0..columns)
            .map(|i| {
                rows.iter()
                    .filter_map(|r| r.get(i))
                    .chain(head.get(i))
                    .map(|c| self.width(c, size) + pad)
                    .fold(24.0f32, f32::max)
            })
            .collect();
        let total: f32 = widths.iter().sum();
        if total > max {
            let share = max / columns as f32;
            let narrow: f32 = widths.iter().filter(|w| **w <= share).sum();
            let wide: f32 = widths.iter().filter(|w| **w > share).sum();
            let room = (max - narrow).max(0.0);
            for w in &mut widths {
                if *w > share {
                    *w = (*w / wide * room).max(24.0);
                }
            }
        }
        let x_of = |i: usize| MARGIN + widths[..i].iter().sum::<f32>();
        self.room(line * 2.0);
        let draw_row = |layout: &mut Layout<'_>, cells: &[String], rgb: (f32, f32, f32)| {
            let wrapped: Vec<Vec<String>> = cells
                .iter()
                .take(columns)
                .enumerate()
                .map(|(i, c)| layout.wrap(c, size, widths[i] - pad))
                .collect();
            let height = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            layout.room(line * height as f32);
            for (i, lines) in wrapped.iter().enumerate() {
                for (k, text) in lines.iter().enumerate() {
                    let y = layout.y - size - k as f32 * size * 1.25;
                    layout.text_at(x_of(i), y, size, text, rgb);
                }
            }
            layout.y -= line + (height - 1) as f32 * size * 1.25;
            layout.page.set_stroke_rgb(0.8, 0.8, 0.8);
            layout.page.move_to(MARGIN, layout.y + size * 0.35);
            layout.page.line_to(PAGE_W - MARGIN, layout.y + size * 0.35);
            layout.page.stroke();
        };
        draw_row(self, head, (0.08, 0.4, 0.75));
        for r in rows {
            draw_row(self, r, (0.13, 0.13, 0.13));
        }
        self.y -= line * 0.5;
    }

    fn chart(&mut self, title: &str, per_day: &BTreeMap<String, u64>) {
        let height = 110.0;
        self.room(height + 30.0);
        let max = per_day.values().copied().max().unwrap_or(0).max(1) as f32;
        let width = PAGE_W - 2.0 * MARGIN;
        let base = self.y - height;
        let bar = width / per_day.len().max(1) as f32;
        self.page.set_fill_rgb(0.08, 0.4, 0.75);
        for (i, v) in per_day.values().enumerate() {
            let h = (height - 10.0) * (*v as f32) / max;
            self.page
                .rect(MARGIN + i as f32 * bar + 1.0, base, (bar - 2.0).max(0.5), h);
        }
        self.page.fill_nonzero();
        self.page.set_stroke_rgb(0.5, 0.5, 0.5);
        self.page.move_to(MARGIN, base);
        self.page.line_to(PAGE_W - MARGIN, base);
        self.page.stroke();
        let first = per_day.keys().next().cloned().unwrap_or_default();
        let last = per_day.keys().last().cloned().unwrap_or_default();
        self.y = base - 4.0;
        let caption = format!("{title}: {first} – {last}, max {}", max as u64);
        self.paragraph(&caption, 8.0, (0.4, 0.4, 0.4));
        self.y -= 6.0;
    }
}

/// Renders the report as PDF.
pub fn pdf(report: &MonthlyReport, lang: Lang) -> Result<Vec<u8>> {
    let face = ttf_parser::Face::parse(FONT, 0)
        .map_err(|e| Error::Internal(format!("embedded font: {e}")))?;
    let mut layout = Layout::new(face);
    let mut header = String::new();
    for block in blocks(report, lang) {
        match block {
            Block::Title {
                title,
                organization,
                period,
            } => {
                layout.paragraph(&title, 18.0, (0.08, 0.4, 0.75));
                layout.y -= 4.0;
                if !organization.is_empty() {
                    layout.paragraph(&organization, 12.0, (0.13, 0.13, 0.13));
                }
                layout.paragraph(&period, 10.0, (0.13, 0.13, 0.13));
                header = if organization.is_empty() {
                    title
                } else {
                    format!("{organization} — {title}")
                };
                header = format!("{header} — {}", report.period.month);
            }
            Block::Section(t) => {
                layout.room(60.0);
                layout.y -= 10.0;
                layout.paragraph(&t, 14.0, (0.08, 0.4, 0.75));
            }
            Block::Heading(t) => {
                layout.room(40.0);
                layout.y -= 4.0;
                layout.paragraph(&t, 11.0, (0.13, 0.13, 0.13));
            }
            Block::Text(t) => layout.paragraph(&t, 10.0, (0.13, 0.13, 0.13)),
            Block::Table(head, rows) => layout.table(&head, &rows),
            Block::Chart(title, per_day) => layout.chart(&title, &per_day),
            Block::Footer(t) => {
                layout.y -= 8.0;
                layout.paragraph(&t, 7.5, (0.4, 0.4, 0.4));
            }
        }
    }
    layout.new_page();

    // Header and page numbers, now that the count is known.
    let total = layout.pages.len();
    let page_word = if lang == Lang::Vi { "Trang" } else { "Page" };
    let mut decorations = Vec::with_capacity(total);
    for i in 0..total {
        let mut c = Content::new();
        std::mem::swap(&mut layout.page, &mut c);
        let header_text = layout.fit(&header, 8.0, PAGE_W - 2.0 * MARGIN);
        layout.text_at(MARGIN, PAGE_H - 40.0, 8.0, &header_text, (0.4, 0.4, 0.4));
        let number = format!("{page_word} {} / {total}", i + 1);
        let w = layout.width(&number, 8.0);
        layout.text_at(PAGE_W - MARGIN - w, 30.0, 8.0, &number, (0.4, 0.4, 0.4));
        std::mem::swap(&mut layout.page, &mut c);
        decorations.push(c);
    }
    let pages = std::mem::take(&mut layout.pages);
    write_document(&layout, pages, decorations, report, lang)
}

fn deflate(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(bytes)
        .map_err(|e| Error::Internal(format!("deflate: {e}")))?;
    z.finish()
        .map_err(|e| Error::Internal(format!("deflate: {e}")))
}

fn write_document(
    layout: &Layout<'_>,
    pages: Vec<Content>,
    decorations: Vec<Content>,
    report: &MonthlyReport,
    lang: Lang,
) -> Result<Vec<u8>> {
    let mut next = 1;
    let mut id = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let (catalog, tree, font, cid, descriptor, file, cmap, info) =
        (id(), id(), id(), id(), id(), id(), id(), id());
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    let mut page_ids = Vec::new();
    for (body, decoration) in pages.into_iter().zip(decorations) {
        let (page_id, content_id) = (id(), id());
        page_ids.push(page_id);
        let mut bytes = decoration.finish().into_vec();
        // Operators must stay apart where the two streams meet.
        bytes.push(b'\n');
        bytes.extend_from_slice(&body.finish());
        let compressed = deflate(&bytes)?;
        pdf.stream(content_id, &compressed)
            .filter(Filter::FlateDecode);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(tree);
        page.contents(content_id);
        page.resources().fonts().pair(FONT_NAME, font);
        page.finish();
    }
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(page_ids.len() as i32);

    let base = Name(b"DejaVuSans");
    pdf.type0_font(font)
        .base_font(base)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    let system = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    let scale = 1000.0 / layout.units;
    {
        let mut c = pdf.cid_font(cid);
        c.subtype(CidFontType::Type2)
            .base_font(base)
            .system_info(system)
            .font_descriptor(descriptor)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        let mut widths = c.widths();
        for gid in layout.used.keys() {
            let advance = layout
                .face
                .glyph_hor_advance(ttf_parser::GlyphId(*gid))
                .map_or(0.0, f32::from);
            widths.consecutive(*gid, [advance * scale]);
        }
    }
    let bbox = layout.face.global_bounding_box();
    pdf.font_descriptor(descriptor)
        .name(base)
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(
            f32::from(bbox.x_min) * scale,
            f32::from(bbox.y_min) * scale,
            f32::from(bbox.x_max) * scale,
            f32::from(bbox.y_max) * scale,
        ))
        .italic_angle(0.0)
        .ascent(f32::from(layout.face.ascender()) * scale)
        .descent(f32::from(layout.face.descender()) * scale)
        .cap_height(f32::from(layout.face.capital_height().unwrap_or(700)) * scale)
        .stem_v(80.0)
        .font_file2(file);
    let compressed_font = deflate(FONT)?;
    pdf.stream(file, &compressed_font)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), FONT.len() as i32);
    let mut unicode = pdf_writer::types::UnicodeCmap::new(Name(b"Custom"), system);
    for (gid, c) in &layout.used {
        unicode.pair(*gid, *c);
    }
    let unicode = unicode.finish();
    pdf.cmap(cmap, &unicode);
    let title = match lang {
        Lang::Vi => format!("Báo cáo giám sát {}", report.period.month),
        Lang::En => format!("Security monitoring report {}", report.period.month),
    };
    pdf.document_info(info)
        .title(pdf_writer::TextStr(&title))
        .producer(pdf_writer::TextStr("canhgac"));
    pdf.set_file_id((
        report.figures_sha256.as_bytes()[..16.min(report.figures_sha256.len())].to_vec(),
        report.figures_sha256.as_bytes()[..16.min(report.figures_sha256.len())].to_vec(),
    ));
    Ok(pdf.finish())
}
