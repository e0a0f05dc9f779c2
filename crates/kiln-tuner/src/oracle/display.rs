//! The search's console report (Keras Tuner's `Display`): trial start and end lines,
//! the hyperparameter table, durations and timestamps.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::Oracle;
use crate::trial::Trial;
use crate::value::{py_float_repr, py_format_g5, Value};

#[derive(Debug, Clone, Default)]
pub(super) struct Display {
    pub(super) verbose: u8,
    pub(super) search_start: Option<f64>,
    pub(super) trial_start: Vec<(String, f64)>,
    pub(super) trial_number: Vec<(String, usize)>,
    pub(super) clock: Option<(Instant, f64)>,
}

pub(super) fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// `datetime.isoformat()` of a UTC time given in Unix seconds.
pub(super) fn iso(t: f64) -> String {
    let secs = t.floor() as i64;
    let micros = ((t - secs as f64) * 1e6).round().min(999_999.0) as i64;
    let days = secs.div_euclid(86400);
    let sod = secs.rem_euclid(86400);
    // civil from days (Howard Hinnant's algorithm)
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

/// Parses what [`iso`] writes (and Python's `isoformat()` of a naive datetime).
pub(super) fn parse_iso(s: &str) -> Option<f64> {
    let (date, time) = s.split_once('T')?;
    let mut dp = date.split('-').map(|x| x.parse::<i64>());
    let (y, m, d) = (dp.next()?.ok()?, dp.next()?.ok()?, dp.next()?.ok()?);
    let mut tp = time.split(':');
    let h: i64 = tp.next()?.parse().ok()?;
    let mi: i64 = tp.next()?.parse().ok()?;
    let sec: f64 = tp.next()?.parse().ok()?;
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some((days * 86400 + h * 3600 + mi * 60) as f64 + sec)
}

pub(super) fn format_duration(secs: f64) -> String {
    // Python's round(): half to even
    let s = {
        let r = secs.round();
        if (secs - secs.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
            r - 1.0
        } else {
            r
        }
    } as i64;
    let d = s / 86400;
    let s = s % 86400;
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    if d > 0 {
        format!("{d}d {h:02}h {m:02}m {s:02}s")
    } else {
        format!("{h:02}h {m:02}m {s:02}s")
    }
}

impl Display {
    pub(super) fn now(&mut self) -> f64 {
        // a monotonic clock anchored to the wall clock once
        let (start, wall) = *self
            .clock
            .get_or_insert_with(|| (Instant::now(), unix_now()));
        wall + start.elapsed().as_secs_f64()
    }

    pub(super) fn format_value(v: Option<&Value>, missing: &str) -> String {
        match v {
            None => missing.to_string(),
            Some(Value::Int(i)) => py_format_g5(*i as f64),
            Some(Value::Float(f)) => py_format_g5(*f),
            Some(other) => {
                let s = other.to_string();
                if s.chars().count() > 18 {
                    format!("{}...", s.chars().take(15).collect::<String>())
                } else {
                    s
                }
            }
        }
    }
}

impl Oracle {
    pub(super) fn on_trial_begin(&mut self, trial: &Trial) {
        if self.display.verbose < 1 {
            return;
        }
        let now = self.display.now();
        set_entry(&mut self.display.trial_start, &trial.trial_id, now);
        if self.display.search_start.is_none() {
            self.display.search_start = Some(now);
        }
        let n = self.trials.len();
        set_entry(&mut self.display.trial_number, &trial.trial_id, n);
        println!();
        println!("Search: Running Trial #{n}");
        println!();
        let best = self.get_best_trials(1).first().map(|t| (*t).clone());
        let best = best.filter(|_| !self.trials.is_empty());
        if trial.hyperparameters.values().is_empty() {
            println!("default configuration");
        } else {
            println!("{:<18}|{:<18}|Hyperparameter", "Value", "Best Value So Far");
            for (name, v) in trial.hyperparameters.values().iter() {
                let best_v = match &best {
                    Some(b) => Display::format_value(b.hyperparameters.values().get(name), "None"),
                    None => "?".into(),
                };
                println!(
                    "{:<18}|{:<18}|{}",
                    Display::format_value(Some(v), "None"),
                    best_v,
                    name
                );
            }
        }
        println!();
    }

    pub(super) fn on_trial_end(&mut self, trial: &Trial) {
        if self.display.verbose < 1 {
            return;
        }
        let now = self.display.now();
        let start = get_entry(&self.display.trial_start, &trial.trial_id).unwrap_or(now);
        let number = get_entry(&self.display.trial_number, &trial.trial_id).unwrap_or(0);
        println!("Trial {number} Complete [{}]", format_duration(now - start));
        if let Some(s) = trial.score {
            println!("{}: {}", self.objective.name(), py_float_repr(s));
        }
        println!();
        let best = self
            .get_best_trials(1)
            .first()
            .and_then(|t| t.score)
            .map_or("None".to_string(), py_float_repr);
        println!("Best {} So Far: {best}", self.objective.name());
        let elapsed = now - self.display.search_start.unwrap_or(now);
        println!("Total elapsed time: {}", format_duration(elapsed));
    }
}

pub(super) fn set_entry<T>(v: &mut Vec<(String, T)>, k: &str, x: T) {
    match v.iter_mut().find(|(key, _)| key == k) {
        Some(e) => e.1 = x,
        None => v.push((k.to_string(), x)),
    }
}

pub(super) fn get_entry<T: Copy>(v: &[(String, T)], k: &str) -> Option<T> {
    v.iter().find(|(key, _)| key == k).map(|(_, x)| *x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_round_trips() {
        let t = 1_700_000_000.25;
        assert_eq!(iso(t), "2023-11-14T22:13:20.250000");
        assert!((parse_iso(&iso(t)).unwrap() - t).abs() < 1e-6);
        assert_eq!(format_duration(3725.4), "01h 02m 05s");
    }
}
