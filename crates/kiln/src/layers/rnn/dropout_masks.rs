//! Dropout masks of a recurrent cell: drawn once per call, fixed across the time steps
//! (Keras's `DropoutRNNCell`).

use kiln_tensor::random::Generator;
use kiln_tensor::{DType, Tensor};

use crate::Result;

/// The masks of the current call (empty outside training or without dropout).
#[derive(Default)]
pub(crate) struct DropoutMasks {
    generator: Option<Generator>,
    /// Masks on the step input `(batch, input_dim)`: one, or one per gate.
    pub(crate) input: Vec<Tensor>,
    /// Masks on the previous output `(batch, units)`: one, or one per gate.
    pub(crate) recurrent: Vec<Tensor>,
}

impl DropoutMasks {
    /// A mask source seeded with `seed` (the global stream when `None`).
    pub(crate) fn new(seed: Option<u64>) -> DropoutMasks {
        DropoutMasks {
            generator: seed.map(Generator::from_seed),
            ..Default::default()
        }
    }

    /// Draws `count` input masks and `count` recurrent masks for a call, scaled by
    /// `1 / (1 - rate)` like Keras's dropout of a ones tensor.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn draw(
        &mut self,
        training: bool,
        batch: usize,
        input_dim: usize,
        units: usize,
        dropout: f64,
        recurrent_dropout: f64,
        count: usize,
        dtype: DType,
    ) -> Result<()> {
        self.clear();
        if !training {
            return Ok(());
        }
        let mut draw = |shape: [usize; 2], rate: f64| -> Result<Vec<Tensor>> {
            if !(rate > 0.0 && rate < 1.0) {
                return Ok(Vec::new());
            }
            (0..count)
                .map(|_| Ok(Tensor::ones(&shape, dtype).dropout(rate, self.generator.as_mut())?))
                .collect()
        };
        let input = draw([batch, input_dim], dropout)?;
        let recurrent = draw([batch, units], recurrent_dropout)?;
        self.input = input;
        self.recurrent = recurrent;
        Ok(())
    }

    /// Forgets the masks at the end of a call.
    pub(crate) fn clear(&mut self) {
        self.input.clear();
        self.recurrent.clear();
    }
}

/// `x (batch, time, in) * mask (batch, in)` broadcast over time.
pub(crate) fn mask_sequence(x: &Tensor, mask: &Tensor) -> Result<Tensor> {
    Ok(x.mul(&mask.expand_dims(1)?)?)
}
