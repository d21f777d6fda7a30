//! The browser harness itself (`tests/common/browser.rs`): a real headless
//! Chromium loads a page, the test reads its DOM, types and clicks, and
//! closes the tab. The chat page's tests build on these same calls.

mod common;

use common::browser::{data_url, Browser, Json};

#[test]
fn json_round_trips() {
    let text = r#"{"id":7,"result":{"value":"a \"q\" \\ \u00e9 \ud83d\ude00","list":[true,false,null,-1.5e2]}}"#;
    let json = Json::parse(text).unwrap();
    assert_eq!(json.get("id"), &Json::Number(7.0));
    assert_eq!(
        json.get("result").get("value").as_str(),
        Some("a \"q\" \\ é 😀")
    );
    assert_eq!(Json::parse(&json.to_text()).unwrap(), json);
    assert!(Json::parse("{\"a\":}").is_err());
    assert!(Json::parse("[1] x").is_err());
}

#[test]
fn a_page_is_loaded_read_typed_into_and_closed() {
    let Some(mut browser) = Browser::start() else {
        return;
    };
    let page = data_url(
        "<p id=greeting>Hello, <b>browser</b></p>\
         <input id=name><button id=go onclick=\"document.getElementById('out').textContent = \
         'hi ' + document.getElementById('name').value\">go</button><p id=out></p>",
    );
    let tab = browser.open(&page);
    browser.wait_for(&tab, "document.readyState === 'complete'");
    assert_eq!(
        browser.evaluate(&tab, "document.getElementById('greeting').textContent"),
        Json::from("Hello, browser")
    );
    browser.evaluate(
        &tab,
        "document.getElementById('name').value = 'alice'; document.getElementById('go').click()",
    );
    browser.wait_for(
        &tab,
        "document.getElementById('out').textContent === 'hi alice'",
    );
    browser.close(tab);
}
