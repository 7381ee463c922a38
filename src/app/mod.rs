//! The application core: messages, commands, update, effects, keymaps, themes, i18n.
