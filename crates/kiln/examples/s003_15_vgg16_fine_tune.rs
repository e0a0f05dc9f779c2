//! S003-15: VGG16 as a frozen feature extractor trained with Adam(1e-3), then its last 4
//! layers unfrozen and fine-tuned with Adam(1e-4), on `flow_from_directory` of
//! `/content/sample_data` (binary, rescale 1/255, 224x224, batch 32, 10 epochs each).
//!
//! That Colab folder does not exist here: the example writes a stand-in `sample_data/`
//! of random JPEGs in two class folders (as S003-14's seed does) and says so. ImageNet
//! weights come from `$KILN_DATA_DIR/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5`
//! when present, otherwise the base is pretrained briefly on MNIST and the example says
//! so; `KILN_IMAGE_SIZE` (default 32), `KILN_EPOCHS` (default 10) and `KILN_FAST=1` as
//! in S003-14.

#[path = "common/transfer.rs"]
mod transfer;

fn main() -> kiln::Result<()> {
    let dir = std::env::temp_dir().join(format!("kiln_s003_15_{}", std::process::id()));
    let data = dir.join("sample_data");
    println!(
        "/content/sample_data is not available: writing a stand-in of 2 x 10 random JPEGs to {}",
        data.display()
    );
    // KILN_FAST: 2 images per class instead of the seed's 10.
    transfer::random_jpeg_tree(&data, if transfer::fast() { 2 } else { 10 })?;
    let r = transfer::vgg16_binary_transfer(&data, 1e-3, 1e-4);
    std::fs::remove_dir_all(&dir).ok();
    r
}
