//! `Element`: one item of a dataset, a nested structure of tensors (tf.data's "element
//! structure": a tensor, a tuple, or a named map).

use kiln_tensor::Tensor;

use crate::{DataError, Result};

/// One dataset element: a tensor, a tuple of elements, or named elements (kept in the
/// order given).
///
/// ```
/// use kiln_data::dataset::Element;
/// use kiln_tensor::{DType, Tensor};
/// let e: Element = (Tensor::zeros(&[2], DType::F32), Tensor::scalar(1i64)).into();
/// assert_eq!(e.tuple()?.len(), 2);
/// assert_eq!(e.leaves().len(), 2);
/// assert!(e.as_tensor().is_err());
/// # Ok::<(), kiln_data::DataError>(())
/// ```
#[derive(Clone, Debug)]
pub enum Element {
    /// A single tensor.
    Tensor(Tensor),
    /// A tuple, e.g. `(x, y)` or `(x, y, sample_weight)`.
    Tuple(Vec<Element>),
    /// Named components, e.g. a model's named inputs.
    Dict(Vec<(String, Element)>),
}

fn invalid(api: &'static str, msg: String) -> DataError {
    DataError::Invalid { api, msg }
}

impl Element {
    /// The tensor, if this element is one.
    pub fn as_tensor(&self) -> Result<&Tensor> {
        match self {
            Element::Tensor(t) => Ok(t),
            other => Err(invalid(
                "Element",
                format!("expected a tensor, got {}", other.structure()),
            )),
        }
    }

    /// The components, if this element is a tuple.
    pub fn tuple(&self) -> Result<&[Element]> {
        match self {
            Element::Tuple(v) => Ok(v),
            other => Err(invalid(
                "Element",
                format!("expected a tuple, got {}", other.structure()),
            )),
        }
    }

    /// Every tensor in depth-first order.
    pub fn leaves(&self) -> Vec<&Tensor> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Tensor>) {
        match self {
            Element::Tensor(t) => out.push(t),
            Element::Tuple(v) => v.iter().for_each(|e| e.collect(out)),
            Element::Dict(v) => v.iter().for_each(|(_, e)| e.collect(out)),
        }
    }

    /// Rebuilds the same structure with every tensor replaced by `f(tensor)`.
    pub fn map_leaves(&self, f: &mut impl FnMut(&Tensor) -> Result<Tensor>) -> Result<Element> {
        Ok(match self {
            Element::Tensor(t) => Element::Tensor(f(t)?),
            Element::Tuple(v) => {
                Element::Tuple(v.iter().map(|e| e.map_leaves(f)).collect::<Result<_>>()?)
            }
            Element::Dict(v) => Element::Dict(
                v.iter()
                    .map(|(k, e)| Ok((k.clone(), e.map_leaves(f)?)))
                    .collect::<Result<_>>()?,
            ),
        })
    }

    /// Builds `template`'s structure from tensors in depth-first order.
    pub(crate) fn rebuild(
        template: &Element,
        leaves: &mut impl Iterator<Item = Tensor>,
    ) -> Result<Element> {
        Ok(match template {
            Element::Tensor(_) => Element::Tensor(leaves.next().ok_or_else(|| {
                invalid("Element", "fewer tensors than the structure needs".into())
            })?),
            Element::Tuple(v) => Element::Tuple(
                v.iter()
                    .map(|e| Element::rebuild(e, leaves))
                    .collect::<Result<_>>()?,
            ),
            Element::Dict(v) => Element::Dict(
                v.iter()
                    .map(|(k, e)| Ok((k.clone(), Element::rebuild(e, leaves)?)))
                    .collect::<Result<_>>()?,
            ),
        })
    }

    /// A description of the structure and shapes, for error messages.
    pub fn structure(&self) -> String {
        match self {
            Element::Tensor(t) => format!("tensor{:?}", t.shape()),
            Element::Tuple(v) => format!(
                "({})",
                v.iter()
                    .map(Element::structure)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Element::Dict(v) => format!(
                "{{{}}}",
                v.iter()
                    .map(|(k, e)| format!("{k}: {}", e.structure()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Whether two elements have the same nesting (tensor shapes may differ).
    pub fn same_structure(&self, other: &Element) -> bool {
        match (self, other) {
            (Element::Tensor(_), Element::Tensor(_)) => true,
            (Element::Tuple(a), Element::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_structure(y))
            }
            (Element::Dict(a), Element::Dict(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, x), (kb, y))| ka == kb && x.same_structure(y))
            }
            _ => false,
        }
    }
}

impl From<Tensor> for Element {
    fn from(t: Tensor) -> Element {
        Element::Tensor(t)
    }
}

impl From<&Tensor> for Element {
    fn from(t: &Tensor) -> Element {
        Element::Tensor(t.clone())
    }
}

impl From<(Tensor, Tensor)> for Element {
    fn from((a, b): (Tensor, Tensor)) -> Element {
        Element::Tuple(vec![a.into(), b.into()])
    }
}

impl From<(&Tensor, &Tensor)> for Element {
    fn from((a, b): (&Tensor, &Tensor)) -> Element {
        Element::Tuple(vec![a.into(), b.into()])
    }
}

impl From<(Tensor, Tensor, Tensor)> for Element {
    fn from((a, b, c): (Tensor, Tensor, Tensor)) -> Element {
        Element::Tuple(vec![a.into(), b.into(), c.into()])
    }
}

impl From<Vec<Element>> for Element {
    fn from(v: Vec<Element>) -> Element {
        Element::Tuple(v)
    }
}

impl From<Vec<(String, Element)>> for Element {
    fn from(v: Vec<(String, Element)>) -> Element {
        Element::Dict(v)
    }
}
