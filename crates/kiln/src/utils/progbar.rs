//! Keras's progress bar (`keras.utils.Progbar`), same line formats.
//!
//! verbose 1: `469/469 ━━━━━━━━━━━━━━━━━━━━ 2s 4ms/step - accuracy: 0.9213 - loss: 0.2790`
//! redrawn in place (ANSI bold/colour as Keras prints on a terminal), with the ETA while
//! running and the elapsed time at the end. verbose 2: one line when the target is reached.

use std::io::Write;
use std::time::Instant;

/// A progress bar over `target` steps, printing to stdout like Keras.
///
/// Values passed to [`Progbar::update`] are displayed as given (Keras's "stateful"
/// metrics: the trainer passes running averages).
///
/// ```
/// let mut bar = kiln::utils::Progbar::new(Some(10), 0); // verbose 0: silent
/// bar.update(10, &[("loss", 0.5)]);
/// assert_eq!(bar.format_values(), " - loss: 0.5000");
/// ```
pub struct Progbar {
    target: Option<usize>,
    width: usize,
    verbose: u8,
    interval: f64,
    unit_name: String,
    values: Vec<(String, f64)>,
    start: Instant,
    last_update: f64,
    time_after_first_step: Option<f64>,
    prev_total_width: usize,
}

impl Progbar {
    /// A bar over `target` steps (None if unknown) with Keras's width 20 and 0.05 s interval.
    ///
    /// ```
    /// let bar = kiln::utils::Progbar::new(Some(100), 1);
    /// # drop(bar);
    /// ```
    pub fn new(target: Option<usize>, verbose: u8) -> Progbar {
        Progbar {
            target,
            width: 20,
            verbose,
            interval: 0.05,
            unit_name: "step".into(),
            values: Vec::new(),
            start: Instant::now(),
            last_update: 0.0,
            time_after_first_step: None,
            prev_total_width: 0,
        }
    }

    /// The ` - name: value` suffix for the current values (4 decimals, or scientific
    /// notation for magnitudes at or below 1e-3, as Keras).
    ///
    /// ```
    /// let mut bar = kiln::utils::Progbar::new(Some(1), 0);
    /// bar.update(1, &[("loss", 0.0001234)]);
    /// assert_eq!(bar.format_values(), " - loss: 1.2340e-04");
    /// ```
    pub fn format_values(&self) -> String {
        self.format_values_as(self.verbose)
    }

    /// The values as the line of `verbose` shows them: Keras's verbose-1 bar picks the
    /// notation by magnitude (`abs(avg) > 1e-3`), its verbose-2 epoch line by value
    /// (`avg > 1e-3`), so a negative metric prints as `-5.0000e-01` there.
    ///
    /// ```
    /// let mut bar = kiln::utils::Progbar::new(Some(1), 0);
    /// bar.update(1, &[("loss", -0.5)]);
    /// assert_eq!(bar.format_values_as(1), " - loss: -0.5000");
    /// assert_eq!(bar.format_values_as(2), " - loss: -5.0000e-01");
    /// ```
    pub fn format_values_as(&self, verbose: u8) -> String {
        let mut s = String::new();
        for (k, v) in &self.values {
            let plain = if verbose == 2 {
                *v > 1e-3
            } else {
                v.abs() > 1e-3
            };
            if plain {
                s.push_str(&format!(" - {k}: {v:.4}"));
            } else {
                s.push_str(&format!(" - {k}: {}", sci4(*v)));
            }
        }
        s
    }

    fn step_duration(&mut self, current: usize, now: f64) -> f64 {
        if current == 0 {
            return 0.0;
        }
        let per = match self.time_after_first_step {
            Some(t1) if current > 1 => (now - t1) / (current - 1) as f64,
            _ => now / current as f64,
        };
        if current == 1 {
            self.time_after_first_step = Some(now);
        }
        per
    }

    fn format_time(&self, per_unit: f64) -> String {
        if per_unit >= 1.0 || per_unit == 0.0 {
            format!(" {:.0}s/{}", per_unit, self.unit_name)
        } else if per_unit >= 1e-3 {
            format!(" {:.0}ms/{}", per_unit * 1e3, self.unit_name)
        } else {
            format!(" {:.0}us/{}", per_unit * 1e6, self.unit_name)
        }
    }

    /// Moves the bar to step `current` and sets the displayed values.
    ///
    /// ```
    /// let mut bar = kiln::utils::Progbar::new(Some(2), 0);
    /// bar.update(1, &[("loss", 1.0)]);
    /// bar.update(2, &[("loss", 0.5)]);
    /// ```
    pub fn update(&mut self, current: usize, values: &[(&str, f64)]) {
        let finalize = self.target.is_some_and(|t| current >= t);
        self.update_finalize(current, values, finalize);
    }

    /// Like [`Progbar::update`] with an explicit `finalize` (Keras's `finalize=`): the
    /// trainer redraws the last batch without finishing the line, then finalizes at the
    /// end of the epoch with the validation metrics added.
    ///
    /// ```
    /// let mut bar = kiln::utils::Progbar::new(Some(2), 0);
    /// bar.update_finalize(2, &[("loss", 0.5)], false);
    /// bar.update_finalize(2, &[("val_loss", 0.25)], true);
    /// assert_eq!(bar.format_values(), " - loss: 0.5000 - val_loss: 0.2500");
    /// ```
    pub fn update_finalize(&mut self, current: usize, values: &[(&str, f64)], finalize: bool) {
        for (k, v) in values {
            match self.values.iter_mut().find(|(n, _)| n == k) {
                Some(slot) => slot.1 = *v,
                None => self.values.push((k.to_string(), *v)),
            }
        }
        let now = self.start.elapsed().as_secs_f64();
        let per_unit = self.step_duration(current, now);
        match self.verbose {
            1 => {
                if now - self.last_update < self.interval && !finalize {
                    return;
                }
                let mut message = String::new();
                message.push_str(&"\u{8}".repeat(self.prev_total_width));
                message.push('\r');
                let (bar, bar_visible) = match self.target {
                    Some(t) if t > 0 => {
                        let digits = (t as f64).log10() as usize + 1;
                        let count = format!("{current:>digits$}/{t}");
                        let filled = ((self.width as f64) * (current as f64 / t as f64)) as usize;
                        let filled = filled.min(self.width);
                        let mut bar = format!("\x1b[1m{count}\x1b[0m ");
                        if filled > 0 {
                            bar.push_str(&format!("\x1b[32m{}\x1b[0m", "━".repeat(filled)));
                        }
                        bar.push_str(&format!(
                            "\x1b[37m{}\x1b[0m",
                            "━".repeat(self.width - filled)
                        ));
                        let visible = count.chars().count() + 1 + self.width;
                        (bar, visible)
                    }
                    _ => {
                        let s = format!("{current:>7}/Unknown");
                        let n = s.len();
                        (s, n)
                    }
                };
                message.push_str(&bar);
                let mut info = String::new();
                let time_part = match self.target {
                    Some(t) if t > 0 && !finalize => {
                        let eta = per_unit * (t - current.min(t)) as f64;
                        if eta > 3600.0 {
                            format!(
                                "{}:{:02}:{:02}",
                                (eta / 3600.0) as u64,
                                ((eta % 3600.0) / 60.0) as u64,
                                (eta % 60.0) as u64
                            )
                        } else if eta > 60.0 {
                            format!("{}:{:02}", (eta / 60.0) as u64, (eta % 60.0) as u64)
                        } else {
                            format!("{}s", eta as u64)
                        }
                    }
                    _ => format!("{now:.0}s"),
                };
                info.push_str(&format!(" \x1b[1m{time_part}\x1b[0m"));
                let visible_info_prefix = 1 + time_part.chars().count();
                let rest = format!("{}{}", self.format_time(per_unit), self.format_values());
                info.push_str(&rest);
                message.push_str(&info);
                let total_width = bar_visible + visible_info_prefix + rest.chars().count();
                if self.prev_total_width > total_width {
                    message.push_str(&" ".repeat(self.prev_total_width - total_width));
                }
                if finalize {
                    message.push('\n');
                }
                print!("{message}");
                let _ = std::io::stdout().flush();
                self.prev_total_width = total_width;
            }
            2 => {
                if let (true, Some(t)) = (finalize, self.target) {
                    let digits = (t.max(1) as f64).log10() as usize + 1;
                    println!(
                        "{current:>digits$}/{t} - {now:.0}s -{}{}",
                        self.format_time(per_unit),
                        self.format_values()
                    );
                }
            }
            _ => {}
        }
        self.last_update = now;
    }
}

/// Python's `{:.4e}` format: mantissa with 4 decimals, exponent with sign and 2+ digits.
fn sci4(v: f64) -> String {
    let s = format!("{v:.4e}");
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::sci4;

    /// Keras 3.15's `Progbar.update(2, values=[("loss", -0.5), ("acc", 0.0001234),
    /// ("kl", -0.0002)], finalize=True)` printed these value suffixes (verbose 1 and 2).
    #[test]
    fn negative_values_as_keras_prints_them() {
        let mut bar = super::Progbar::new(Some(2), 0);
        bar.update(2, &[("loss", -0.5), ("acc", 0.0001234), ("kl", -0.0002)]);
        assert_eq!(
            bar.format_values_as(1),
            " - loss: -0.5000 - acc: 1.2340e-04 - kl: -2.0000e-04"
        );
        assert_eq!(
            bar.format_values_as(2),
            " - loss: -5.0000e-01 - acc: 1.2340e-04 - kl: -2.0000e-04"
        );
    }

    #[test]
    fn python_style_scientific() {
        assert_eq!(sci4(0.000123456), "1.2346e-04");
        assert_eq!(sci4(0.0), "0.0000e+00");
    }
}
