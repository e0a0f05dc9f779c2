//! `#[derive(Layer)]` for kiln: implements `kiln::layers::LayerState` for a struct, so a
//! subclassed layer or model only writes its `call` (and `build`) in `impl Layer`.
//!
//! The struct needs one field of type `LayerBase`. Fields of type `LayerRef`,
//! `Vec<LayerRef>`, `Option<LayerRef>` and `Model` are tracked as sub-layers (their weights
//! and losses belong to the struct), in declaration order; `#[layer(skip)]` leaves a field
//! out. The class name is the struct's name unless `#[layer(class_name = "...")]` is given.
//! See `kiln::layers::LayerState` for an example.

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, Data, DeriveInput, Fields, GenericArgument, PathArguments, Type};

/// The last path segment of a type and its first generic argument, if any.
fn type_shape(ty: &Type) -> Option<(String, Option<String>)> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    let inner = match &seg.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
            GenericArgument::Type(Type::Path(tp)) => {
                tp.path.segments.last().map(|s| s.ident.to_string())
            }
            _ => None,
        }),
        _ => None,
    };
    Some((seg.ident.to_string(), inner))
}

fn has_skip(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("layer")
            && a.parse_nested_meta(|m| {
                if m.path.is_ident("skip") {
                    Ok(())
                } else {
                    Err(m.error("unknown"))
                }
            })
            .is_ok()
    })
}

fn class_name_attr(attrs: &[syn::Attribute]) -> syn::Result<Option<String>> {
    let mut out = None;
    for a in attrs.iter().filter(|a| a.path().is_ident("layer")) {
        a.parse_nested_meta(|m| {
            if m.path.is_ident("class_name") {
                let s: syn::LitStr = m.value()?.parse()?;
                out = Some(s.value());
                Ok(())
            } else {
                Err(m.error("expected `class_name = \"...\"`"))
            }
        })?;
    }
    Ok(out)
}

/// Implements `kiln::layers::LayerState` (base, class name, sub-layers) for a struct.
#[proc_macro_derive(Layer, attributes(layer))]
pub fn derive_layer(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

fn expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let name = &input.ident;
    let class = class_name_attr(&input.attrs)?.unwrap_or_else(|| name.to_string());
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            name,
            "#[derive(Layer)] needs a struct",
        ));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(
            name,
            "#[derive(Layer)] needs named fields",
        ));
    };
    let mut base = None;
    let mut subs = Vec::new();
    for f in &fields.named {
        let Some(ident) = &f.ident else { continue };
        if has_skip(&f.attrs) {
            continue;
        }
        match type_shape(&f.ty) {
            Some((t, _)) if t == "LayerBase" => base = Some(ident.clone()),
            Some((t, _)) if t == "LayerRef" => subs.push(quote! { out.push(self.#ident.clone()); }),
            Some((t, _)) if t == "Model" => subs.push(quote! { out.push(self.#ident.as_layer()); }),
            Some((t, Some(inner))) if t == "Vec" && inner == "LayerRef" => {
                subs.push(quote! { out.extend(self.#ident.iter().cloned()); })
            }
            Some((t, Some(inner))) if t == "Option" && inner == "LayerRef" => {
                subs.push(quote! { if let Some(l) = &self.#ident { out.push(l.clone()); } })
            }
            _ => {}
        }
    }
    let Some(base) = base else {
        return Err(syn::Error::new_spanned(
            name,
            "#[derive(Layer)] needs a field of type `LayerBase`",
        ));
    };
    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_g ::kiln::layers::LayerState for #name #ty_g #where_g {
            fn base(&self) -> &::kiln::layers::LayerBase { &self.#base }
            fn base_mut(&mut self) -> &mut ::kiln::layers::LayerBase { &mut self.#base }
            fn class_name(&self) -> &'static str { #class }
            fn sublayers(&self) -> ::std::vec::Vec<::kiln::layers::LayerRef> {
                #[allow(unused_mut)]
                let mut out = ::std::vec::Vec::new();
                #(#subs)*
                out
            }
        }
    })
}
