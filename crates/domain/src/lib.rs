//! MSP Desk business rules: the one home for every rule that the server, the desktop app and
//! the reports share.
//!
//! Everything here is pure (no I/O, no clock unless passed in) and every constructor validates:
//! a value of one of these types is known to be good, so code that receives one need not check
//! again. Constructors never panic; bad input gets an error whose `Display` is a sentence fit to
//! show a user.

mod assets;
mod billing;
mod catalog;
mod color;
mod contrast;
mod css;
mod domain_name;
mod ids;
mod money;
mod password;
mod period;
mod plans;
mod prices;
mod quotas;
mod text;
mod url;

pub use assets::{check_upload, CheckedImage, ASSET_MIN_PX, FAVICON_MAX_PX, LOGO_MAX_PX};
pub use assets::{sniff_image, AssetError, AssetKind, ASSET_MAX_BYTES, ASSET_PATH_PREFIX};
pub use billing::{
    bill_client, billing_report, check_lifetime, company_order_key, license_fee, line_order_key,
    started_hours, BillingError, BillingLine, BillingReport, ClientBill, ClientBillingInput,
    FxRate, FxTable, LifetimeError, PricedInstance,
};
pub use catalog::{template, CatalogMode, Template, TEMPLATES};
pub use color::{HexColor, HexColorError};
pub use contrast::{
    brand_contrast_warnings, contrast_ratio, nearest_passing_shade, ContrastWarning,
    PORTAL_TEXT_ON_BRAND, WCAG_AA_NORMAL,
};
pub use css::{
    sanitize_css, CssError, SafeCss, CUSTOM_CSS_MAX_BYTES, DATA_IMAGE_MAX_BYTES, PORTAL_ROOT_CLASS,
};
pub use domain_name::{DomainName, DomainNameError, DOMAIN_MAX_LEN};
pub use ids::{ClientId, IdError, TenantId};
pub use money::{currencies, parse_currency, Currency, Money, MoneyError};
pub use password::{
    check_new_password, is_common_password, PasswordError, PASSWORD_MAX_BYTES, PASSWORD_MIN_CHARS,
};
pub use period::{Period, PeriodError};
pub use plans::{DefaultPlan, DEFAULT_PLANS};
pub use prices::{check_list_price, ListPrice, ListPriceError, Provider, DEFAULT_PRICES};
pub use quotas::{Compliance, ComplianceStatus, QuotaExceeded, QuotaKind, Quotas, Usage};
pub use text::{
    email_key, fold, CompanyName, CompanyNameError, Email, EmailError, Label, LabelError,
    COMPANY_NAME_MAX_CHARS, EMAIL_MAX_CHARS, LABEL_MAX_CHARS,
};
pub use url::{HttpsUrl, HttpsUrlError, URL_MAX_LEN};
