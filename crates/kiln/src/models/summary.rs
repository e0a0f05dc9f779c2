//! `model.summary()`: Keras 3's table (the layout its `rich` table prints without a
//! terminal: heavy header box, a rule between rows, wrapped cells) and parameter totals.

use std::sync::Arc;

use crate::layers::{LayerRef, Node, Shape};
use crate::models::functional::Functional;
use crate::models::sequential::SequentialNet;
use crate::models::Model;

/// Keras's shape format in summaries: `(None, 784)`, and `(10)` for one dimension.
fn summary_shape(shape: &[Option<usize>]) -> String {
    let parts: Vec<String> = shape
        .iter()
        .map(|d| d.map(|v| v.to_string()).unwrap_or_else(|| "None".into()))
        .collect();
    format!("({})", parts.join(", "))
}

/// `1234567` -> `"1,234,567"`.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Keras's `readable_memory_size`: powers of 1024, two decimals.
fn readable_memory_size(bytes: f64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB", "PB"];
    let mut v = bytes;
    for u in units {
        if v / 1024.0 < 1.0 {
            return format!("{v:.2} {u}");
        }
        v /= 1024.0;
    }
    format!("{v:.2} PB")
}

/// Python's `round` (halves to even), which rich uses to share out column shrinkage.
fn round_half_even(x: f64) -> i64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && (r as i64) % 2 != 0 {
        (r - x.signum()) as i64
    } else {
        r as i64
    }
}

/// Column widths (padding included) as Keras computes them from `positions`, shrunk the
/// way rich fits a fixed-width table into `line_length` with its borders.
fn column_widths(line_length: usize, positions: &[f64]) -> Vec<usize> {
    let mut widths = Vec::new();
    let mut current = 0usize;
    for p in positions {
        let w = (p * line_length as f64) as usize - current;
        widths.push(w);
        current += w;
    }
    let borders = widths.len() + 1;
    let total: usize = widths.iter().sum::<usize>() + borders;
    if total > line_length {
        let mut remaining = (total - line_length) as f64;
        let mut ratio_left = widths.len() as f64;
        for w in widths.iter_mut() {
            let d = (round_half_even(remaining / ratio_left).max(0) as usize).min(*w);
            *w -= d;
            remaining -= d as f64;
            ratio_left -= 1.0;
        }
    }
    widths
}

/// Word-wraps `text` into lines of at most `width` characters (longer words are cut with
/// an ellipsis, as rich renders Keras's summary table).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let para_start = lines.len();
        let mut line = String::new();
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            let mut word: Vec<char> = word.chars().collect();
            let line_len = line.chars().count();
            if line_len > 0 && line_len + 1 + word.len() <= width {
                line.push(' ');
                line.extend(word.iter());
                continue;
            }
            if line_len > 0 {
                lines.push(std::mem::take(&mut line));
            }
            if word.len() > width {
                // Rich's overflow="ellipsis": a word wider than the column is cut and
                // ends in "…" on its own line.
                let mut cut: String = word[..width - 1].iter().collect();
                cut.push('…');
                lines.push(cut);
                word.clear();
            }
            line = word.iter().collect();
        }
        if !line.is_empty() || lines.len() == para_start {
            lines.push(line);
        }
    }
    lines
}

fn pad(text: &str, width: usize, right: bool) -> String {
    let n = text.chars().count();
    let fill = " ".repeat(width.saturating_sub(n));
    if right {
        format!("{fill}{text}")
    } else {
        format!("{text}{fill}")
    }
}

fn render_table(
    headers: &[&str],
    right: &[bool],
    widths: &[usize],
    rows: &[Vec<String>],
) -> String {
    let rule = |l: &str, h: &str, m: &str, r: &str| {
        let parts: Vec<String> = widths.iter().map(|w| h.repeat(*w)).collect();
        format!("{l}{}{r}\n", parts.join(m))
    };
    let cells = |texts: &[String], edge: &str| {
        let wrapped: Vec<Vec<String>> = texts
            .iter()
            .zip(widths)
            .map(|(t, w)| wrap(t, w.saturating_sub(2)))
            .collect();
        let height = wrapped.iter().map(|c| c.len()).max().unwrap_or(1);
        let mut out = String::new();
        for i in 0..height {
            out.push_str(edge);
            for (k, c) in wrapped.iter().enumerate() {
                let text = c.get(i).map(String::as_str).unwrap_or("");
                out.push(' ');
                out.push_str(&pad(text, widths[k].saturating_sub(2), right[k]));
                out.push(' ');
                out.push_str(edge);
            }
            out.push('\n');
        }
        out
    };
    let mut s = rule("┏", "━", "┳", "┓");
    let head: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    s.push_str(&cells(&head, "┃"));
    s.push_str(&rule("┡", "━", "╇", "┩"));
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            s.push_str(&rule("├", "─", "┼", "┤"));
        }
        s.push_str(&cells(r, "│"));
    }
    s.push_str(&rule("└", "─", "┴", "┘"));
    s
}

/// The output shape column: from the layer's last symbolic call, else from its build
/// shapes, else `?`.
fn output_shape(layer: &LayerRef) -> String {
    let nodes: Vec<Arc<Node>> = layer
        .lock()
        .base()
        .inbound_nodes
        .iter()
        .filter_map(|w| w.upgrade())
        .collect();
    let shapes: Vec<Shape> = match nodes.last() {
        Some(n) => n.outputs.iter().map(|s| s.shape.clone()).collect(),
        None => match layer.build_shapes() {
            Some(b) => match layer.compute_output_shape(&b) {
                Ok(s) => s,
                Err(_) => return "?".into(),
            },
            None => return "?".into(),
        },
    };
    if shapes.len() == 1 {
        summary_shape(&shapes[0])
    } else {
        let parts: Vec<String> = shapes.iter().map(|s| summary_shape(s)).collect();
        format!("[{}]", parts.join(", "))
    }
}

/// `name[node][tensor]` for each input of the layer's nodes that belong to `graph`.
fn connections(layer: &LayerRef, graph: &Functional) -> String {
    let ids = graph.node_ids();
    let nodes: Vec<Arc<Node>> = layer
        .lock()
        .base()
        .inbound_nodes
        .iter()
        .filter_map(|w| w.upgrade())
        .filter(|n| ids.contains(&n.id))
        .collect();
    let mut parts = Vec::new();
    for n in nodes {
        for t in n.inputs() {
            let src = t.layer();
            let idx = src
                .lock()
                .base()
                .inbound_nodes
                .iter()
                .position(|w| w.upgrade().is_some_and(|m| m.id == t.node().id))
                .unwrap_or(0);
            parts.push(format!("{}[{}][{}]", src.name(), idx, t.index()));
        }
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}

/// Keras's test of whether a functional graph is a plain chain (no "Connected to").
fn is_sequential_like(graph: &Functional) -> bool {
    if graph.nodes.iter().any(|n| n.inputs().len() > 1) || graph.inputs.len() > 1 {
        return false;
    }
    // A chain has one node per layer and each node feeds the next.
    let mut seen: Vec<usize> = Vec::new();
    for n in &graph.nodes {
        let k = n.layer().key();
        if seen.contains(&k) {
            return false;
        }
        seen.push(k);
    }
    for w in graph.nodes.windows(2) {
        let feeds = w[1].inputs().iter().any(|t| t.node().id == w[0].id);
        if !feeds {
            return false;
        }
    }
    graph.outputs.len() == 1
}

impl Model {
    /// The summary table as text, for a given line length (Keras's `line_length`;
    /// `None` uses Keras's default for a non-terminal: `min(88 or 108, COLUMNS - 4)` with
    /// `COLUMNS` from the environment, else 80).
    ///
    /// ```
    /// use kiln::layers::Dense;
    /// let m = kiln::models::Model::sequential(vec![Dense::new(10).input_shape(&[784]).into()])?;
    /// let s = m.summary_string(None);
    /// assert!(s.contains("dense"));
    /// assert!(s.contains("Total params: 7,850 (30.66 KB)"));
    /// # Ok::<(), kiln::Error>(())
    /// ```
    pub fn summary_string(&self, line_length: Option<usize>) -> String {
        let seq_layers = self.net.downcast(|s: &mut SequentialNet| s.layers.clone());
        let graph_rows: Option<(Vec<LayerRef>, bool, Vec<String>)> =
            self.net.downcast(|f: &mut Functional| {
                let seq = is_sequential_like(f);
                let conns = if seq {
                    Vec::new()
                } else {
                    f.layers.iter().map(|l| connections(l, f)).collect()
                };
                (f.layers.clone(), seq, conns)
            });
        let (layers, sequential_like, conns) = match (seq_layers, graph_rows) {
            (Some(l), _) => (l, true, Vec::new()),
            (None, Some((l, seq, c))) => (l, seq, c),
            (None, None) => (self.net.sublayers(), true, Vec::new()),
        };
        let cols: usize = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(80);
        let (default_len, positions, headers): (usize, Vec<f64>, Vec<&str>) = if sequential_like {
            (
                88,
                vec![0.45, 0.80, 1.0],
                vec!["Layer (type)", "Output Shape", "Param #"],
            )
        } else {
            (
                108,
                vec![0.3, 0.56, 0.74, 1.0],
                vec!["Layer (type)", "Output Shape", "Param #", "Connected to"],
            )
        };
        let line_length = line_length.unwrap_or_else(|| default_len.min(cols.saturating_sub(4)));
        let widths = column_widths(line_length, &positions);
        let right: Vec<bool> = headers.iter().map(|h| *h == "Param #").collect();
        let rows: Vec<Vec<String>> = layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let params = if l.built() || l.class_name() == "InputLayer" {
                    thousands(l.count_params())
                } else {
                    "0 (unbuilt)".into()
                };
                let mut row = vec![
                    format!("{} ({})", l.name(), l.class_name()),
                    output_shape(l),
                    params,
                ];
                if !sequential_like {
                    row.push(conns.get(i).cloned().unwrap_or_else(|| "-".into()));
                }
                row
            })
            .collect();
        let mut out = format!("Model: \"{}\"\n", self.name());
        out.push_str(&render_table(&headers, &right, &widths, &rows));
        let entries = self.net.weight_entries();
        let size = |trainable: bool| -> (usize, f64) {
            entries
                .iter()
                .filter(|(_, t)| *t == trainable)
                .fold((0, 0.0), |(n, b), (e, _)| {
                    let k: usize = e.var.shape().iter().product();
                    (n + k, b + (k * e.var.dtype().size_in_bytes()) as f64)
                })
        };
        let (tn, tb) = size(true);
        let (nn, nb) = size(false);
        let (on, ob) = self
            .optimizer()
            .and_then(|o| o.variables_size())
            .map(|(n, b)| (n, b as f64))
            .unwrap_or((0, 0.0));
        out.push_str(&format!(
            " Total params: {} ({})\n",
            thousands(tn + nn + on),
            readable_memory_size(tb + nb + ob)
        ));
        out.push_str(&format!(
            " Trainable params: {} ({})\n",
            thousands(tn),
            readable_memory_size(tb)
        ));
        out.push_str(&format!(
            " Non-trainable params: {} ({})\n",
            thousands(nn),
            readable_memory_size(nb)
        ));
        if self.optimizer().and_then(|o| o.variables_size()).is_some() {
            out.push_str(&format!(
                " Optimizer params: {} ({})\n",
                thousands(on),
                readable_memory_size(ob)
            ));
        }
        out
    }

    /// Prints the summary table (`model.summary()`).
    pub fn summary(&self) {
        print!("{}", self.summary_string(None));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keras_column_widths() {
        // Measured from Keras 3.15's output at 80 columns.
        assert_eq!(column_widths(76, &[0.45, 0.80, 1.0]), vec![33, 24, 15]);
        assert_eq!(
            column_widths(76, &[0.3, 0.56, 0.74, 1.0]),
            vec![21, 19, 12, 19]
        );
    }

    #[test]
    fn numbers_and_sizes() {
        assert_eq!(thousands(101770), "101,770");
        assert_eq!(thousands(7), "7");
        assert_eq!(readable_memory_size(407080.0), "397.54 KB");
        assert_eq!(readable_memory_size(0.0), "0.00 B");
        assert_eq!(round_half_even(1.5), 2);
        assert_eq!(round_half_even(2.5), 2);
    }

    #[test]
    fn wrapping() {
        assert_eq!(
            wrap("concatenate (Concatenate)", 17),
            vec!["concatenate", "(Concatenate)"]
        );
        assert_eq!(
            wrap("dense_2[0][0], b[0][0]", 17),
            vec!["dense_2[0][0],", "b[0][0]"]
        );
        assert_eq!(
            wrap("batch_normalization_1 (BatchNormalization)", 19),
            vec!["batch_normalizatio…", "(BatchNormalizatio…"]
        );
    }
}
