//! The numbers of TFLite's `schema.fbs` that the writer uses: builtin operator codes,
//! builtin-options union tags, tensor types, fused activations and paddings, and the
//! field ids (vtable slots) of the tables written.

/// `BuiltinOperator` values.
#[allow(missing_docs)]
pub mod op {
    pub const ADD: i32 = 0;
    pub const AVERAGE_POOL_2D: i32 = 1;
    pub const CONCATENATION: i32 = 2;
    pub const CONV_2D: i32 = 3;
    pub const DEPTHWISE_CONV_2D: i32 = 4;
    pub const DEQUANTIZE: i32 = 6;
    pub const FULLY_CONNECTED: i32 = 9;
    pub const LOGISTIC: i32 = 14;
    pub const MAX_POOL_2D: i32 = 17;
    pub const MUL: i32 = 18;
    pub const RELU: i32 = 19;
    pub const RELU6: i32 = 21;
    pub const RESHAPE: i32 = 22;
    pub const SOFTMAX: i32 = 25;
    pub const TANH: i32 = 28;
    pub const PAD: i32 = 34;
    pub const MEAN: i32 = 40;
    pub const QUANTIZE: i32 = 114;
    pub const HARD_SWISH: i32 = 117;

    /// The schema's name of a builtin code (for messages and reports).
    pub fn name(code: i32) -> &'static str {
        match code {
            ADD => "ADD",
            AVERAGE_POOL_2D => "AVERAGE_POOL_2D",
            CONCATENATION => "CONCATENATION",
            CONV_2D => "CONV_2D",
            DEPTHWISE_CONV_2D => "DEPTHWISE_CONV_2D",
            DEQUANTIZE => "DEQUANTIZE",
            FULLY_CONNECTED => "FULLY_CONNECTED",
            LOGISTIC => "LOGISTIC",
            MAX_POOL_2D => "MAX_POOL_2D",
            MUL => "MUL",
            RELU => "RELU",
            RELU6 => "RELU6",
            RESHAPE => "RESHAPE",
            SOFTMAX => "SOFTMAX",
            TANH => "TANH",
            PAD => "PAD",
            MEAN => "MEAN",
            QUANTIZE => "QUANTIZE",
            HARD_SWISH => "HARD_SWISH",
            _ => "?",
        }
    }
}

/// `BuiltinOptions` union tags.
#[allow(missing_docs)]
pub mod opts {
    pub const NONE: u8 = 0;
    pub const CONV_2D: u8 = 1;
    pub const DEPTHWISE_CONV_2D: u8 = 2;
    pub const POOL_2D: u8 = 5;
    pub const FULLY_CONNECTED: u8 = 8;
    pub const SOFTMAX: u8 = 9;
    pub const CONCATENATION: u8 = 10;
    pub const ADD: u8 = 11;
    pub const RESHAPE: u8 = 17;
    pub const MUL: u8 = 21;
    pub const PAD: u8 = 22;
    pub const REDUCER: u8 = 27;
    pub const DEQUANTIZE: u8 = 38;
    pub const QUANTIZE: u8 = 89;
    pub const HARD_SWISH: u8 = 91;
}

/// `TensorType` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i8)]
pub enum TensorType {
    /// float32
    Float32 = 0,
    /// float16
    Float16 = 1,
    /// int32
    Int32 = 2,
    /// int64
    Int64 = 4,
    /// int8
    Int8 = 9,
}

impl TensorType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            TensorType::Float32 | TensorType::Int32 => 4,
            TensorType::Float16 => 2,
            TensorType::Int64 => 8,
            TensorType::Int8 => 1,
        }
    }
}

/// `ActivationFunctionType` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i8)]
pub enum Activation {
    /// No fused activation.
    None = 0,
    /// max(x, 0)
    Relu = 1,
    /// min(max(x, 0), 6)
    Relu6 = 3,
}

/// `Padding` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i8)]
pub enum Padding {
    /// TensorFlow's SAME.
    Same = 0,
    /// VALID.
    Valid = 1,
}

/// The vtable offset of field `id` of a table (`4 + 2 * id`).
pub const fn slot(id: u16) -> u16 {
    4 + 2 * id
}
