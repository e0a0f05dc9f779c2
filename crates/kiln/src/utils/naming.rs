//! Keras's naming helpers: snake_case class names and unique auto-names.

use std::collections::HashMap;
use std::sync::Mutex;

static UIDS: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);

/// `"mean_squared_error"` -> `"MeanSquaredError"`: the class-name form of a snake_case
/// name (the inverse of [`to_snake_case`] for names without acronyms).
///
/// ```
/// assert_eq!(kiln::utils::to_camel_case("binary_crossentropy"), "BinaryCrossentropy");
/// ```
pub fn to_camel_case(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Keras's `to_snake_case`: `"GlobalAveragePooling2D"` -> `"global_average_pooling2d"`,
/// `"ReLU"` -> `"re_lu"`, `"LSTM"` -> `"lstm"`.
///
/// ```
/// use kiln::utils::to_snake_case;
/// assert_eq!(to_snake_case("Dense"), "dense");
/// assert_eq!(to_snake_case("GlobalAveragePooling2D"), "global_average_pooling2d");
/// assert_eq!(to_snake_case("ReLU"), "re_lu");
/// assert_eq!(to_snake_case("PReLU"), "p_re_lu");
/// assert_eq!(to_snake_case("BatchNormalization"), "batch_normalization");
/// assert_eq!(to_snake_case("sparse_categorical_crossentropy"), "sparse_categorical_crossentropy");
/// ```
pub fn to_snake_case(name: &str) -> String {
    // Keras first drops non-word characters (`re.sub(r"\W+", "", name)`).
    let c: Vec<char> = name
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    // Pass 1: "_" before every capitalised word ([A-Z][a-z]+) that follows a character.
    let mut s1 = Vec::with_capacity(c.len() + 4);
    let mut p = 0;
    while p < c.len() {
        if p + 2 < c.len() && c[p + 1].is_ascii_uppercase() && c[p + 2].is_ascii_lowercase() {
            s1.push(c[p]);
            s1.push('_');
            s1.push(c[p + 1]);
            let mut q = p + 2;
            while q < c.len() && c[q].is_ascii_lowercase() {
                s1.push(c[q]);
                q += 1;
            }
            p = q;
        } else {
            s1.push(c[p]);
            p += 1;
        }
    }
    // Pass 2: "_" between a lower-case letter and a following capital.
    let mut out = String::with_capacity(s1.len() + 4);
    let mut p = 0;
    while p < s1.len() {
        if p + 1 < s1.len() && s1[p].is_ascii_lowercase() && s1[p + 1].is_ascii_uppercase() {
            out.push(s1[p]);
            out.push('_');
            out.push(s1[p + 1]);
            p += 2;
        } else {
            out.push(s1[p]);
            p += 1;
        }
    }
    out.to_lowercase()
}

/// A unique name from `prefix` as Keras's `auto_name`: the first is `prefix`, then
/// `prefix_1`, `prefix_2`, ... (per prefix, process-wide, reset by [`clear_session`]).
///
/// ```
/// use kiln::utils::unique_name;
/// let a = unique_name("doc_example_layer");
/// let b = unique_name("doc_example_layer");
/// assert_eq!(b, format!("{a}_1"));
/// ```
pub fn unique_name(prefix: &str) -> String {
    let mut guard = UIDS.lock().unwrap_or_else(|e| e.into_inner());
    let map = guard.get_or_insert_with(HashMap::new);
    let n = map.entry(prefix.to_string()).or_insert(0);
    *n += 1;
    if *n == 1 {
        prefix.to_string()
    } else {
        format!("{prefix}_{}", *n - 1)
    }
}

/// Resets the auto-name counters, as `keras.backend.clear_session()` does for names.
///
/// ```
/// kiln::utils::clear_session();
/// assert_eq!(kiln::utils::unique_name("after_clear"), "after_clear");
/// ```
pub fn clear_session() {
    let mut guard = UIDS.lock().unwrap_or_else(|e| e.into_inner());
    *guard = None;
}
