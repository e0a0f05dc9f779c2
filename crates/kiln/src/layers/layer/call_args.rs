//! [`CallArgs`]: how a layer's functional call is written in a saved model (Keras's
//! `inbound_nodes` entries, `{"args": [...], "kwargs": {...}}`), so the saving code asks
//! the layer instead of switching on class names.

use serde_json::{Map, Value};

/// The calling convention of a layer's `__call__` as Keras saves it.
///
/// ```
/// use kiln::layers::{CallArgs, LayerRef, Add, Dense, MultiHeadAttention};
/// assert_eq!(LayerRef::new(Dense::new(2)).lock().call_args(), CallArgs::Default);
/// assert_eq!(LayerRef::new(Add::new()).lock().call_args(), CallArgs::List);
/// assert_eq!(LayerRef::new(MultiHeadAttention::new(2, 4)).lock().call_args(), CallArgs::QueryValueKey);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallArgs {
    /// `layer(x)` for one input, `layer([a, b, ...])` for several.
    Default,
    /// `layer([a, b, ...])` always (merge and dot-attention layers).
    List,
    /// `layer(x, initial_state=[s, ...])` (recurrent layers).
    InitialState,
    /// `layer(query, value, key=k, attention_mask=m)` (MultiHeadAttention); a saved node
    /// without a key uses the value as the key.
    QueryValueKey,
}

impl CallArgs {
    /// The saved `{"args", "kwargs"}` of a call on `inputs` (already serialised tensors).
    pub(crate) fn node_json(self, inputs: Vec<Value>) -> Value {
        let mut kwargs = Map::new();
        let args = match self {
            CallArgs::QueryValueKey => {
                for (name, t) in ["key", "attention_mask"].iter().zip(inputs.iter().skip(2)) {
                    kwargs.insert(name.to_string(), t.clone());
                }
                inputs.into_iter().take(2).collect()
            }
            CallArgs::InitialState if inputs.len() > 1 => {
                kwargs.insert("initial_state".into(), Value::Array(inputs[1..].to_vec()));
                vec![inputs[0].clone()]
            }
            CallArgs::List => vec![Value::Array(inputs)],
            _ if inputs.len() > 1 => vec![Value::Array(inputs)],
            _ => inputs,
        };
        serde_json::json!({"args": args, "kwargs": kwargs})
    }

    /// The saved keyword arguments that hold further inputs, in input order, after the
    /// positional ones; `key` falls back to the last positional (the value).
    pub(crate) fn keyword_inputs<'a>(
        self,
        kwargs: &'a Value,
        positional: usize,
    ) -> Vec<KeywordInput<'a>> {
        match self {
            CallArgs::QueryValueKey => {
                let mut out = Vec::new();
                if positional == 2 {
                    match kwargs.get("key").filter(|k| !k.is_null()) {
                        Some(k) => out.push(KeywordInput::Value(k)),
                        None => out.push(KeywordInput::RepeatLast),
                    }
                }
                if let Some(m) = kwargs.get("attention_mask").filter(|m| !m.is_null()) {
                    out.push(KeywordInput::Value(m));
                }
                out
            }
            _ => kwargs
                .get("initial_state")
                .map(KeywordInput::Value)
                .into_iter()
                .collect(),
        }
    }
}

/// One input a saved call passes by keyword.
pub(crate) enum KeywordInput<'a> {
    /// A tensor (or list of tensors) given by keyword.
    Value(&'a Value),
    /// The last positional input again (MultiHeadAttention's default key).
    RepeatLast,
}
