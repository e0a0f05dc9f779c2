//! Boilerplate shared by the built-in layers.

/// `LayerState` for a built-in layer struct with a `base: LayerBase` field and no
/// sub-layers.
macro_rules! layer_state {
    ([$($g:tt)*] $t:ty, $class:expr) => {
        impl<$($g)*> $crate::layers::LayerState for $t {
            fn base(&self) -> &$crate::layers::LayerBase {
                &self.base
            }
            fn base_mut(&mut self) -> &mut $crate::layers::LayerBase {
                &mut self.base
            }
            fn class_name(&self) -> &'static str {
                $class
            }
        }
    };
    ($t:ty, $class:expr) => {
        $crate::layers::macros::layer_state!([] $t, $class);
    };
}

/// The `name` and `input_shape` builders every built-in layer has.
macro_rules! common_builders {
    ([$($g:tt)*] $t:ty) => {
        impl<$($g)*> $t {
            /// Sets the layer name.
            pub fn name(mut self, name: &str) -> Self {
                self.base.set_name(name);
                self
            }

            /// Declares the input shape without the batch axis (Keras's `input_shape=`),
            /// so a `Sequential` starting with this layer builds before seeing data.
            pub fn input_shape(mut self, shape: &[usize]) -> Self {
                self.base.set_input_shape(shape);
                self
            }

            /// The layer's dtype policy by name (Keras's `dtype=`: `"mixed_float16"`,
            /// `"float32"`...); an unknown name is reported when the layer builds.
            pub fn dtype(mut self, policy: &str) -> Self {
                self.base.set_dtype_policy_name(policy);
                self
            }
        }
    };
    ($t:ty) => {
        $crate::layers::macros::common_builders!([] $t);
    };
}

pub(crate) use common_builders;
pub(crate) use layer_state;
