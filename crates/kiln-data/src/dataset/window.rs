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
        let mut inner = self.input.pass_iter(pass);
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

#[cfg(test)]
mod tests {
    use super::super::Dataset;
    use super::*;
    use kiln_tensor::{DType, Tensor};

    fn ints(d: &Dataset) -> Vec<Vec<i64>> {
        d.collect()
            .unwrap()
            .iter()
            .map(|e| e.as_tensor().unwrap().to_vec::<i64>().unwrap())
            .collect()
    }

    #[test]
    fn zero_size_shift_or_stride_is_an_error() {
        let d = Dataset::range(0, 5, 1).unwrap();
        for (size, shift, stride, name) in [
            (0, None, 1, "size"),
            (2, Some(0), 1, "shift"),
            (2, None, 0, "stride"),
        ] {
            let e = d
                .window(size, shift, stride, false)
                .unwrap_err()
                .to_string();
            assert!(e.contains(name), "{e}");
        }
    }

    #[test]
    fn shift_beyond_the_window_skips_elements_and_infinite_input_streams() {
        let d = Dataset::range(0, 10, 1).unwrap();
        assert_eq!(
            ints(&d.window(2, Some(4), 1, false).unwrap()),
            vec![vec![0, 1], vec![4, 5], vec![8, 9]]
        );
        let inf = d.repeat(None).window(3, Some(2), 1, true).unwrap();
        assert_eq!(inf.cardinality(), Cardinality::Infinite);
        assert_eq!(
            ints(&inf.take(6)),
            vec![
                vec![0, 1, 2],
                vec![2, 3, 4],
                vec![4, 5, 6],
                vec![6, 7, 8],
                vec![8, 9, 0],
                vec![0, 1, 2]
            ]
        );
    }

    #[test]
    fn tuple_elements_stack_per_component_and_ragged_windows_fail() {
        let x = Tensor::from_vec((0..8).map(|v| v as f32).collect(), &[4, 2]).unwrap();
        let y = Tensor::from_vec(vec![10i64, 11, 12, 13], &[4]).unwrap();
        let w = Dataset::from_tensor_slices((x, y))
            .unwrap()
            .window(3, Some(1), 1, true)
            .unwrap()
            .collect()
            .unwrap();
        assert_eq!(w.len(), 2);
        let l = w[1].leaves();
        assert_eq!(l[0].shape(), &[3, 2]);
        assert_eq!(l[1].to_vec::<i64>().unwrap(), vec![11, 12, 13]);
        let ragged = Dataset::from_generator(|| {
            Box::new((1..4).map(|n| Ok(Tensor::zeros(&[n], DType::F32).into())))
        });
        assert!(ragged.window(2, None, 1, false).unwrap().collect().is_err());
    }
}
