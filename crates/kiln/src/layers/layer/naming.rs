//! How Keras names a layer's children when it saves them (the `_save_state` walk).

use super::LayerRef;
pub use crate::utils::to_snake_case;

/// A layer-holding field of a derived layer, as [`LayerState::attributes`] lists it.
pub enum Attribute {
    /// A `LayerRef`, `Option<LayerRef>` (when set) or `Model` field.
    Layer(LayerRef),
    /// A `Vec<LayerRef>` field (a Python list attribute).
    List(Vec<LayerRef>),
}

/// Keras 3's `_save_state` walk over an object's attributes: in sorted name order, a
/// layer attribute at its name, a list attribute's items at `name/<snake_class>[_n]`;
/// a model also has its `layers` list (its direct sublayers in tracking order), so a
/// layer held by an attribute sorting after `layers` is saved at `layers/...`. Layers
/// met twice keep their first path (the caller's walk skips repeats).
pub fn attribute_children(
    mut attrs: Vec<(&'static str, Attribute)>,
    is_model: bool,
    sublayers: &[LayerRef],
) -> Vec<(String, LayerRef)> {
    if is_model {
        attrs.push(("layers", Attribute::List(sublayers.to_vec())));
    }
    attrs.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::new();
    for (name, a) in attrs {
        match a {
            Attribute::Layer(l) => out.push((name.to_string(), l)),
            Attribute::List(ls) => out.extend(container_names(name, &ls)),
        }
    }
    out
}

/// Keras's names for the items of a list attribute: snake-cased class names, the second
/// of a class `_1`, and so on; `prefix` (e.g. `"layers"`) is joined in front.
pub fn container_names(prefix: &str, layers: &[LayerRef]) -> Vec<(String, LayerRef)> {
    let mut used: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    layers
        .iter()
        .map(|l| {
            let base = to_snake_case(l.class_name());
            let name = match used.get_mut(&base) {
                Some(n) => {
                    *n += 1;
                    format!("{base}_{n}")
                }
                None => {
                    used.insert(base.clone(), 0);
                    base
                }
            };
            let path = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            (path, l.clone())
        })
        .collect()
}
