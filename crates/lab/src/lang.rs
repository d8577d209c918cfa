//! Two languages for everything a student or a teacher reads.
use serde::{Deserialize, Serialize};

/// The language of the tool's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// 中文
    Zh,
    /// English
    En,
}

impl Lang {
    /// `--lang` when given, else `SOCKETS_LANG`, else the system's locale:
    /// Chinese when it is Chinese (zh-CN, zh_TW.UTF-8, …), English otherwise.
    pub fn detect(explicit: Option<Lang>) -> Lang {
        if let Some(lang) = explicit {
            return lang;
        }
        let locale = std::env::var("SOCKETS_LANG").ok().or_else(sys_locale::get_locale);
        match locale {
            Some(locale) if locale.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }

    /// Picks the text in this language.
    pub fn pick<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

/// A text in both languages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Text {
    pub en: String,
    pub zh: String,
}

impl Text {
    pub fn new(en: impl Into<String>, zh: impl Into<String>) -> Text {
        Text { en: en.into(), zh: zh.into() }
    }

    pub fn get(&self, lang: Lang) -> &str {
        lang.pick(&self.en, &self.zh)
    }
}

/// `tr!("en {x}", "中文 {x}")`: a [`Text`], each side formatted like `format!`.
#[macro_export]
macro_rules! tr {
    ($en:expr, $zh:expr $(,)?) => {
        $crate::lang::Text::new(format!($en), format!($zh))
    };
}
