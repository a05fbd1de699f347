//! The keyboard shortcuts, with the keys Chrome has for them now (the rep
//! can change them, or another extension can hold one).

use chrome::api::{call, commands, tabs};
use serde::{Deserialize, Serialize};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

/// Where Chrome lets the rep change the keys.
const SHORTCUTS_PAGE: &str = "chrome://extensions/shortcuts";

/// One of `chrome.commands.getAll()`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Command {
    name: String,
    #[serde(default)]
    description: String,
    /// Empty when no key is set.
    #[serde(default)]
    shortcut: String,
}

#[derive(Serialize)]
struct NewTab {
    url: &'static str,
}

#[function_component(Shortcuts)]
pub fn shortcuts() -> Html {
    let commands = use_state(Vec::<Command>::new);
    {
        let commands = commands.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                if let Ok(all) = call(commands::get_all()).await
                    && let Ok(all) = chrome::js::from_js::<Vec<Command>>(all)
                {
                    commands.set(all);
                }
            });
        });
    }
    let change = Callback::from(|_| {
        spawn_local(async {
            if let Ok(tab) = chrome::js::to_js(&NewTab {
                url: SHORTCUTS_PAGE,
            }) {
                let _ = call(tabs::create(&tab)).await;
            }
        })
    });
    html! {
        <section id="shortcuts">
            <h2>{ "Keyboard shortcuts" }</h2>
            <table>
                { for commands.iter().filter(|c| !c.name.starts_with('_')).map(|c| html! {
                    <tr data-command={c.name.clone()}>
                        <td>{ c.description.clone() }</td>
                        <td>
                            if c.shortcut.is_empty() {
                                <span class="muted">{ "Not set" }</span>
                            } else {
                                <kbd>{ c.shortcut.clone() }</kbd>
                            }
                        </td>
                    </tr>
                }) }
            </table>
            <p>
                <button id="change-shortcuts" onclick={change}>{ "Change shortcuts" }</button>
                <span class="muted">{ format!(" at {SHORTCUTS_PAGE}") }</span>
            </p>
        </section>
    }
}
