//! `window`: overlapping or strided groups of consecutive elements. tf.data yields each
//! window as a nested dataset per component; kiln yields it as the element structure with
//! every tensor stacked along a new first axis, which is what the usual
//! `window(...).flat_map(lambda w: w.batch(size))` produces.

use std::collections::VecDeque;

use super::nodes::Node;
use super::{stack_elements, Cardinality, Dataset, Element, ElementIter};

pub(crate) struct Window {
    pub input: Dataset,
    pub size: usize,
    pub shift: usize,
    pub stride: usize,
    pub drop_remainder: bool,
}

impl Node for Window {
    fn iter(&self, pass: u64) -> ElementIter {
        let (size, shift, stride, drop) = (self.size, self.shift, self.stride, self.drop_remainder);
        let span = (size - 1) * stride + 1;
        let mut inner = self.input.node().iter(pass);
        // `buf[0]` is input element number `base`; the next window starts at `start`.
        let mut buf: VecDeque<Element> = VecDeque::new();
        let (mut base, mut start) = (0usize, 0usize);
        let mut exhausted = false;
        Box::new(std::iter::from_fn(move || {
            // Discard elements before this window (skipping input when shift > span).
            while base < start {
                if buf.pop_front().is_none() {
                    if exhausted {
                        return None;
                    }
                    match inner.next() {
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Some(Err(e)),
                        None => {
                            exhausted = true;
                            return None;
                        }
                    }
                }
                base += 1;
            }
            while !exhausted && buf.len() < span {
                match inner.next() {
                    Some(Ok(e)) => buf.push_back(e),
                    Some(Err(e)) => return Some(Err(e)),
                    None => exhausted = true,
                }
            }
            if buf.is_empty() || (drop && buf.len() < span) {
                return None;
            }
            let items: Vec<Element> = buf.iter().step_by(stride).take(size).cloned().collect();
            start += shift;
            Some(stack_elements("Dataset.window", &items))
        }))
    }
    fn cardinality(&self) -> Cardinality {
        let span = (self.size - 1) * self.stride + 1;
        match self.input.cardinality() {
            Cardinality::Finite(n) if self.drop_remainder => Cardinality::Finite(if n < span {
                0
            } else {
                (n - span) / self.shift + 1
            }),
            Cardinality::Finite(n) => Cardinality::Finite(n.div_ceil(self.shift)),
            other => other,
        }
    }
}
