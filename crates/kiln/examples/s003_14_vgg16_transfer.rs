//! S003-14: transfer learning with VGG16 on a generated two-class image folder. The
//! seed writes 10 random 224x224 JPEGs into `training_data/class_1` and `class_2`,
//! freezes VGG16 (ImageNet, no top), adds Flatten + Dense(256) + Dense(1, sigmoid),
//! trains 10 epochs on `flow_from_directory(..., class_mode="binary")` with
//! `rescale=1/255`, then unfreezes the base's last 4 layers, recompiles `adam` and
//! trains 10 more.
//!
//! Here: the images go to a temporary `training_data/`; ImageNet weights are loaded from
//! `$KILN_DATA_DIR/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5` when present,
//! otherwise the base is pretrained briefly on MNIST and the example says so; images are
//! resized to 32x32 (`KILN_IMAGE_SIZE`; the seed's 224 costs ~50x more), `KILN_EPOCHS` (default 10) sets both phases,
//! and `KILN_FAST=1` makes a smoke run.

#[path = "common/transfer.rs"]
mod transfer;

fn main() -> kiln::Result<()> {
    let dir = std::env::temp_dir().join(format!("kiln_s003_14_{}", std::process::id()));
    let data = dir.join("training_data");
    // KILN_FAST: 2 images per class instead of the seed's 10.
    transfer::random_jpeg_tree(&data, if transfer::fast() { 2 } else { 10 })?;
    // 'adam' both times, as the seed (learning rate 0.001).
    let r = transfer::vgg16_binary_transfer(&data, 1e-3, 1e-3);
    std::fs::remove_dir_all(&dir).ok();
    r
}
