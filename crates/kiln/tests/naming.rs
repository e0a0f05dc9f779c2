//! Auto-names (alone in this binary: names are process-wide counters).
#![allow(clippy::cloned_ref_to_slice_refs)]

use kiln::layers::*;

#[test]
fn auto_names_follow_keras() {
    kiln::utils::clear_session();
    let a = LayerRef::new(Dense::new(1));
    let b = LayerRef::new(Dense::new(1));
    let c = LayerRef::new(Dense::new(1).name("custom"));
    let d = LayerRef::new(Dense::new(1));
    let r = LayerRef::new(ReLU::new());
    assert_eq!(
        [a.name(), b.name(), c.name(), d.name(), r.name()],
        ["dense", "dense_1", "custom", "dense_2", "re_lu"]
    );
}
