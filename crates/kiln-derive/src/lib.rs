//! `#[derive(Layer)]` for kiln: implements `kiln::layers::LayerState` for a struct, so a
//! subclassed layer or model only writes its `call` (and `build`) in `impl Layer`.
//!
//! The struct needs one field of type `LayerBase`. Fields of type `LayerRef`,
//! `Vec<LayerRef>`, `Option<LayerRef>` and `Model` are tracked as sub-layers (their weights
//! and losses belong to the struct), in declaration order, and saved under their field
//! names as Keras saves a Python object's attributes; `#[layer(skip)]` leaves a field
//! out. The class name is the struct's name unless `#[layer(class_name = "...")]` is given.
//!
//! With `#[layer(config)]` on the struct (implied when a field has `#[layer(init = ...)]`),
//! the config is declared once, by the fields
//! (burn's `Config` idea, Keras's `get_config`/`from_config` pair): every field other
//! than the `LayerBase` and those with `#[layer(init = expr)]` is a config field. The
//! derive then writes `new(config fields...)` (the base named after the class, each
//! `init` expression evaluated in field order with the config fields in scope and
//! converted with `Into`), `kiln::layers::FromConfig` (each config field
//! read by name, the saved name restored) and the config fields for `get_config`. Config
//! fields must be `serde` serialisable and deserialisable.
//! See `kiln::layers::LayerState` for an example.

use proc_macro::TokenStream;
use quote::quote;
use syn::{
    parse_macro_input, Data, DeriveInput, Expr, Fields, GenericArgument, PathArguments, Type,
};

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

/// A field's `#[layer(...)]` options.
#[derive(Default)]
struct FieldOpts {
    skip: bool,
    init: Option<Expr>,
}

fn field_opts(attrs: &[syn::Attribute]) -> syn::Result<FieldOpts> {
    let mut o = FieldOpts::default();
    for a in attrs.iter().filter(|a| a.path().is_ident("layer")) {
        a.parse_nested_meta(|m| {
            if m.path.is_ident("skip") {
                o.skip = true;
                Ok(())
            } else if m.path.is_ident("init") {
                o.init = Some(m.value()?.parse()?);
                Ok(())
            } else {
                Err(m.error("expected `skip` or `init = <expression>`"))
            }
        })?;
    }
    Ok(o)
}

/// The struct's `#[layer(...)]` options: `class_name = "..."`, `config`.
fn struct_opts(attrs: &[syn::Attribute]) -> syn::Result<(Option<String>, bool)> {
    let (mut class, mut config) = (None, false);
    for a in attrs.iter().filter(|a| a.path().is_ident("layer")) {
        a.parse_nested_meta(|m| {
            if m.path.is_ident("class_name") {
                let s: syn::LitStr = m.value()?.parse()?;
                class = Some(s.value());
                Ok(())
            } else if m.path.is_ident("config") {
                config = true;
                Ok(())
            } else {
                Err(m.error("expected `class_name = \"...\"` or `config`"))
            }
        })?;
    }
    Ok((class, config))
}

/// Keras's `to_snake_case` of a class name, for the base's auto-name.
fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev_lower = i > 0 && chars[i - 1].is_ascii_lowercase();
        let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
        if i > 0 && c.is_ascii_uppercase() && (prev_lower || next_lower) {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

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
    let (class, config_attr) = struct_opts(&input.attrs)?;
    let class = class.unwrap_or_else(|| name.to_string());
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
    let all_opts = fields
        .named
        .iter()
        .map(|f| field_opts(&f.attrs))
        .collect::<syn::Result<Vec<_>>>()?;
    // A field with `init` only makes sense with the generated `new`: it implies `config`.
    let with_config = config_attr || all_opts.iter().any(|o| o.init.is_some());
    let mut base = None;
    let mut subs = Vec::new();
    let mut attrs = Vec::new();
    // For `#[layer(config)]`: the config fields (new's arguments) and every field's value.
    let mut config_fields: Vec<(syn::Ident, Type)> = Vec::new();
    let mut inits = Vec::new();
    for (f, opts) in fields.named.iter().zip(all_opts) {
        let Some(ident) = &f.ident else { continue };
        let field_name = ident.to_string();
        let field_name = field_name
            .strip_prefix("r#")
            .unwrap_or(&field_name)
            .to_string();
        let shape = type_shape(&f.ty);
        let is_base = matches!(&shape, Some((t, _)) if t == "LayerBase");
        if with_config && !is_base {
            match &opts.init {
                Some(e) => inits.push(quote! { let #ident = ::core::convert::Into::into(#e); }),
                None => config_fields.push((ident.clone(), f.ty.clone())),
            }
        }
        if opts.skip {
            continue;
        }
        match shape {
            Some((t, _)) if t == "LayerBase" => base = Some(ident.clone()),
            Some((t, _)) if t == "LayerRef" => {
                subs.push(quote! { out.push(self.#ident.clone()); });
                attrs.push(quote! {
                    out.push((#field_name, ::kiln::layers::Attribute::Layer(self.#ident.clone())));
                });
            }
            Some((t, _)) if t == "Model" => {
                subs.push(quote! { out.push(self.#ident.as_layer()); });
                attrs.push(quote! {
                    out.push((#field_name, ::kiln::layers::Attribute::Layer(self.#ident.as_layer())));
                });
            }
            Some((t, Some(inner))) if t == "Vec" && inner == "LayerRef" => {
                subs.push(quote! { out.extend(self.#ident.iter().cloned()); });
                attrs.push(quote! {
                    out.push((#field_name, ::kiln::layers::Attribute::List(self.#ident.clone())));
                });
            }
            Some((t, Some(inner))) if t == "Option" && inner == "LayerRef" => {
                subs.push(quote! { if let Some(l) = &self.#ident { out.push(l.clone()); } });
                attrs.push(quote! {
                    if let Some(l) = &self.#ident {
                        out.push((#field_name, ::kiln::layers::Attribute::Layer(l.clone())));
                    }
                });
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
    let config_impl = if with_config {
        let prefix = snake(&class);
        let args = config_fields.iter().map(|(i, t)| quote! { #i: #t });
        let keys: Vec<String> = config_fields
            .iter()
            .map(|(i, _)| {
                let s = i.to_string();
                s.strip_prefix("r#").unwrap_or(&s).to_string()
            })
            .collect();
        let all: Vec<&syn::Ident> = fields
            .named
            .iter()
            .filter_map(|f| f.ident.as_ref())
            .collect();
        let reads = keys
            .iter()
            .map(|k| quote! { ::kiln::saving::config_value(config, #k)? });
        let doc_new = format!(
            "A new `{class}` from its config fields (`#[layer(config)]`); sub-layers and other \
             `init` fields are built as declared."
        );
        let doc_from = format!(
            "Rebuilds a `{class}` from the config its `get_config` wrote (Keras's \
             `from_config`): each config field is read by name; a missing or mistyped one is \
             an `Err` naming it."
        );
        quote! {
            impl #impl_g #name #ty_g #where_g {
                #[doc = #doc_new]
                #[allow(clippy::too_many_arguments, clippy::new_without_default)]
                pub fn new(#(#args),*) -> Self {
                    let #base = ::kiln::layers::LayerBase::new(#prefix);
                    #(#inits)*
                    Self { #(#all),* }
                }
            }
            impl #impl_g ::kiln::layers::FromConfig for #name #ty_g #where_g {
                const CLASS_NAME: &'static str = #class;
                #[doc = #doc_from]
                fn from_config(config: &::kiln::json::Value) -> ::kiln::Result<Self> {
                    let mut layer = Self::new(#(#reads),*);
                    if let Some(n) = config.get("name").and_then(::kiln::json::Value::as_str) {
                        layer.#base.set_name(n);
                    }
                    Ok(layer)
                }
            }
        }
    } else {
        proc_macro2::TokenStream::new()
    };
    let config_fields_fn = if with_config {
        let idents = config_fields.iter().map(|(i, _)| i);
        let keys = config_fields.iter().map(|(i, _)| {
            let s = i.to_string();
            s.strip_prefix("r#").unwrap_or(&s).to_string()
        });
        quote! {
            fn config_fields(&self) -> ::std::option::Option<::kiln::json::Map<::std::string::String, ::kiln::json::Value>> {
                #[allow(unused_mut)]
                let mut m = ::kiln::json::Map::new();
                #( m.insert(#keys.to_string(), ::kiln::json::to_value(&self.#idents).unwrap_or(::kiln::json::Value::Null)); )*
                ::std::option::Option::Some(m)
            }
        }
    } else {
        proc_macro2::TokenStream::new()
    };
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
            fn attributes(&self) -> ::std::option::Option<::std::vec::Vec<(&'static str, ::kiln::layers::Attribute)>> {
                #[allow(unused_mut)]
                let mut out = ::std::vec::Vec::new();
                #(#attrs)*
                ::std::option::Option::Some(out)
            }
            #config_fields_fn
        }
        #config_impl
    })
}
