//! A CSV reader for numeric tables (`pandas.read_csv(...).values` for the seeds' data).

use std::path::Path;

use kiln_tensor::Tensor;

use crate::idx::{corrupt, io_err};
use crate::Result;

/// Options of [`read_csv`].
#[derive(Clone, Debug)]
pub struct CsvOptions {
    /// Whether the first line holds column names (default true).
    pub header: bool,
    /// Field separator (default `,`).
    pub delimiter: char,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            header: true,
            delimiter: ',',
        }
    }
}

/// Splits one line into fields, honouring double-quoted fields (`""` inside quotes is a
/// quote).
fn fields(line: &str, delim: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == delim && !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Parses CSV text into column names (from the header, else `column_0`, ...) and an f32
/// tensor `(rows, columns)`. Blank lines are skipped; a field that is not a number or a
/// row with a different number of fields is an error naming the line and column.
///
/// ```
/// use kiln_data::csv::{parse_csv, CsvOptions};
/// let (names, t) = parse_csv("a,b\n1,2\n3,4.5\n", &CsvOptions::default(), "inline")?;
/// assert_eq!(names, vec!["a", "b"]);
/// assert_eq!(t.to_vec::<f32>()?, vec![1.0, 2.0, 3.0, 4.5]);
/// assert!(parse_csv("a,b\n1\n", &CsvOptions::default(), "inline").is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
pub fn parse_csv(text: &str, opts: &CsvOptions, source: &str) -> Result<(Vec<String>, Tensor)> {
    let path = Path::new(source);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let mut names: Option<Vec<String>> = None;
    if opts.header {
        let (_, h) = lines
            .next()
            .ok_or_else(|| corrupt(path, "empty file: expected a header line"))?;
        names = Some(
            fields(h, opts.delimiter)
                .into_iter()
                .map(|s| s.trim().to_string())
                .collect(),
        );
    }
    let mut data: Vec<f32> = Vec::new();
    let mut ncols = names.as_ref().map(Vec::len);
    let mut rows = 0usize;
    for (lineno, line) in lines {
        let f = fields(line, opts.delimiter);
        let want = *ncols.get_or_insert(f.len());
        if f.len() != want {
            return Err(corrupt(
                path,
                format!("line {lineno} has {} fields, expected {want}", f.len()),
            ));
        }
        for (col, v) in f.iter().enumerate() {
            let v = v.trim();
            let x: f32 = v.parse().map_err(|_| {
                let name = names
                    .as_ref()
                    .and_then(|n| n.get(col))
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default();
                corrupt(
                    path,
                    format!(
                        "line {lineno}, column {}{name}: {v:?} is not a number",
                        col + 1
                    ),
                )
            })?;
            data.push(x);
        }
        rows += 1;
    }
    let ncols = ncols.unwrap_or(0);
    let names = names.unwrap_or_else(|| (0..ncols).map(|i| format!("column_{i}")).collect());
    Ok((names, Tensor::from_vec(data, &[rows, ncols])?))
}

/// Reads a CSV file (see [`parse_csv`]).
pub fn read_csv(path: impl AsRef<Path>, opts: &CsvOptions) -> Result<(Vec<String>, Tensor)> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| io_err(path, e))?;
    parse_csv(&text, opts, &path.display().to_string())
}
