//! Helpers shared by kiln's golden tests: the fixture readers and tolerances of the
//! `kiln-testing` crate, and the layer-case runner the layer goldens share.
#![allow(dead_code, unused_imports)]

pub mod layer_case;
pub mod optimizer_case;

pub use kiln_testing::*;
