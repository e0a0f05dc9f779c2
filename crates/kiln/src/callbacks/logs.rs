//! The `logs` dict callbacks receive.

/// Named values in insertion order (`loss`, metrics, `val_*`), as Keras's `logs` dict.
///
/// ```
/// let mut logs = kiln::callbacks::Logs::new();
/// logs.insert("loss", 0.5);
/// logs.insert("loss", 0.25);
/// assert_eq!(logs.get("loss"), Some(0.25));
/// assert_eq!(logs.len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Logs {
    entries: Vec<(String, f64)>,
}

/// `logs["loss"]`, as Keras's logs dict; a name that is not logged panics, as indexing a
/// map does (use [`Logs::get`] for an `Option`).
///
/// ```
/// let mut logs = kiln::callbacks::Logs::new();
/// logs.insert("loss", 0.5);
/// assert_eq!(logs["loss"], 0.5);
/// ```
impl std::ops::Index<&str> for Logs {
    type Output = f64;
    fn index(&self, name: &str) -> &f64 {
        match self.entries.iter().find(|(n, _)| n == name) {
            Some((_, v)) => v,
            None => panic!(
                "no '{name}' in the logs; logged: {:?}",
                self.entries.iter().map(|(n, _)| n).collect::<Vec<_>>()
            ),
        }
    }
}

impl Logs {
    /// Empty logs.
    pub fn new() -> Logs {
        Logs::default()
    }

    /// Sets `name` (replacing an existing value).
    pub fn insert(&mut self, name: &str, value: f64) {
        match self.entries.iter_mut().find(|(n, _)| n == name) {
            Some(e) => e.1 = value,
            None => self.entries.push((name.to_string(), value)),
        }
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), *v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries sorted by name (the order TensorFlow's Keras prints them in).
    pub fn sorted(&self) -> Vec<(&str, f64)> {
        let mut v: Vec<(&str, f64)> = self.iter().collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v
    }

    /// Adds every entry of `other` with `prefix` (`"val_"`).
    pub fn extend_prefixed(&mut self, other: &Logs, prefix: &str) {
        for (n, v) in other.iter() {
            self.insert(&format!("{prefix}{n}"), v);
        }
    }
}
