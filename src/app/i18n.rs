//! User-visible text, one catalogue per language.
//!
//! Every string the UI shows comes from `i18n/fr.toml` or `i18n/en.toml`
//! through a typed key [`T`], so a missing translation is a test failure
//! (see the tests below), never a blank on screen. French is the default;
//! English is chosen from `LC_ALL`/`LC_MESSAGES`/`LANG` or the settings.
//! Placeholders are written `{name}` and filled by [`Texts::fmt`].

use std::collections::HashMap;

/// The languages Cachet speaks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    /// From the usual locale variables, in POSIX precedence order; French
    /// unless the locale is explicitly English.
    pub fn from_env() -> Lang {
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Ok(value) = std::env::var(var)
                && !value.is_empty()
            {
                return Lang::from_locale(&value);
            }
        }
        Lang::Fr
    }

    pub fn from_locale(locale: &str) -> Lang {
        if locale.to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::Fr
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

macro_rules! texts {
    ($($name:ident = $key:literal),* $(,)?) => {
        /// A key into the catalogues.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum T { $($name),* }
        impl T {
            pub const ALL: &'static [T] = &[$(T::$name),*];
            pub fn key(self) -> &'static str {
                match self { $(T::$name => $key),* }
            }
        }
    };
}

texts! {
    AppName = "app.name",
    // status bar
    StatusOnline = "status.online",
    StatusOffline = "status.offline",
    StatusDemo = "status.demo",
    StatusNoProfile = "status.no_profile",
    StatusNoAccount = "status.no_account",
    StatusHelpHint = "status.help_hint",
    ProgressDemoDirectory = "progress.demo_directory",
    // screens
    ScreenLogin = "screen.login",
    ScreenLock = "screen.lock",
    ScreenMailbox = "screen.mailbox",
    ScreenReader = "screen.reader",
    ScreenCompose = "screen.compose",
    ScreenDirectory = "screen.directory",
    ScreenRecords = "screen.records",
    ScreenAudit = "screen.audit",
    ScreenHelp = "screen.help",
    // login / lock
    LoginInsertCard = "login.insert_card",
    LoginHolder = "login.holder",
    LoginPin = "login.pin",
    LoginTriesLeft = "login.tries_left",
    LoginDemoPin = "login.demo_pin",
    LoginNoReader = "login.no_reader",
    LockLocked = "lock.locked",
    LoginPinFormat = "login.pin_format",
    LoginBlocked = "login.blocked",
    LoginCardProblem = "login.card_problem",
    LoginReaders = "login.readers",
    LoginChooseReader = "login.choose_reader",
    LoginRemoveHint = "login.remove_hint",
    LockHint = "lock.hint",
    // mailbox
    MailboxFolders = "mailbox.folders",
    MailboxMessages = "mailbox.messages",
    MailboxEmpty = "mailbox.empty",
    MailboxNoAccount = "mailbox.no_account",
    MailboxLoading = "mailbox.loading",
    MailboxCount = "mailbox.count",
    MailboxSortDate = "mailbox.sort_date",
    MailboxSortSender = "mailbox.sort_sender",
    MailboxSortSubject = "mailbox.sort_subject",
    MailboxSortSize = "mailbox.sort_size",
    MailboxFilterUnread = "mailbox.filter_unread",
    MailboxThreaded = "mailbox.threaded",
    FolderInbox = "folder.inbox",
    FolderSent = "folder.sent",
    FolderDrafts = "folder.drafts",
    FolderTrash = "folder.trash",
    FolderArchive = "folder.archive",
    // reader
    ReaderFrom = "reader.from",
    ReaderTo = "reader.to",
    ReaderCc = "reader.cc",
    ReaderDate = "reader.date",
    ReaderSubject = "reader.subject",
    ReaderAttachments = "reader.attachments",
    ReaderLoading = "reader.loading",
    ReaderReceiptRequested = "reader.receipt_requested",
    ReaderNoMessage = "reader.no_message",
    // mailbox and reader (issue 5)
    ReaderGone = "reader.gone",
    ReaderFailed = "reader.failed",
    NotifyMailError = "notify.mail_error",
    MailboxRowGone = "mailbox.row_gone",
    CmdMailboxSearch = "cmd.mailbox.search",
    CmdMailboxFilter = "cmd.mailbox.filter",
    CmdMailboxFilterFlagged = "cmd.mailbox.filter_flagged",
    CmdMailboxFilterAttachment = "cmd.mailbox.filter_attachment",
    CmdMailboxClearFilters = "cmd.mailbox.clear_filters",
    CmdMailboxMove = "cmd.mailbox.move",
    CmdMailboxDelete = "cmd.mailbox.delete",
    CmdMailboxExpunge = "cmd.mailbox.expunge",
    CmdReaderToggleHtml = "cmd.reader.toggle_html",
    CmdReaderNextAttachment = "cmd.reader.next_attachment",
    CmdReaderSaveAttachment = "cmd.reader.save_attachment",
    CmdReaderViewAttachment = "cmd.reader.view_attachment",
    CmdReaderXdm = "cmd.reader.xdm",
    PromptSearch = "prompt.search",
    PromptFilter = "prompt.filter",
    PromptMoveTo = "prompt.move_to",
    PromptExpunge = "prompt.expunge",
    PromptSavePath = "prompt.save_path",
    PromptOverwrite = "prompt.overwrite",
    NotifyDeleted = "notify.deleted",
    NotifyMoved = "notify.moved",
    NotifyExpunged = "notify.expunged",
    NotifyBadFilter = "notify.bad_filter",
    NotifyNoAlternative = "notify.no_alternative",
    NotifyNoAttachment = "notify.no_attachment",
    NotifySaved = "notify.saved",
    NotifySaveFailed = "notify.save_failed",
    NotifyViewFailed = "notify.view_failed",
    NotifyNotXdm = "notify.not_xdm",
    NotifyNotCda = "notify.not_cda",
    NotifyXdmFailed = "notify.xdm_failed",
    MailboxSearchTitle = "mailbox.search_title",
    MailboxSearching = "mailbox.searching",
    MailboxFilterFlagged = "mailbox.filter_flagged",
    MailboxFilterAttachment = "mailbox.filter_attachment",
    MailboxFilterFrom = "mailbox.filter_from",
    MailboxFilterTo = "mailbox.filter_to",
    MailboxFilterDate = "mailbox.filter_date",
    MailboxOffline = "mailbox.offline",
    ReaderAttachmentHint = "reader.attachment_hint",
    ReaderXdmTitle = "reader.xdm_title",
    ReaderXdmLoading = "reader.xdm_loading",
    ReaderXdmEmpty = "reader.xdm_empty",
    ReaderXdmHint = "reader.xdm_hint",
    ReaderXdmPatient = "reader.xdm_patient",
    ReaderXdmAuthor = "reader.xdm_author",
    ReaderXdmType = "reader.xdm_type",
    ReaderXdmDate = "reader.xdm_date",
    // end mailbox and reader
    // compose
    ComposeTo = "compose.to",
    ComposeSubject = "compose.subject",
    ComposeEmpty = "compose.empty",
    ComposeEditorHint = "compose.editor_hint",
    // directory / records / audit (empty states until their issues land)
    DirectoryEmpty = "directory.empty",
    DirectoryHint = "directory.hint",
    RecordsEmpty = "records.empty",
    RecordsHint = "records.hint",
    AuditEmpty = "audit.empty",
    AuditHint = "audit.hint",
    // help, palette, which-key
    HelpTitle = "help.title",
    HelpScopeGlobal = "help.scope.global",
    HelpScopeList = "help.scope.list",
    HelpUnbound = "help.unbound",
    PalettePrompt = "palette.prompt",
    PaletteNoMatch = "palette.no_match",
    WhichKeyTitle = "whichkey.title",
    // notifications
    NotifyUnknownCommand = "notify.unknown_command",
    NotifyKeymapError = "notify.keymap_error",
    NotifyThemeError = "notify.theme_error",
    NotifyConfigError = "notify.config_error",
    NotifyEditorFailed = "notify.editor_failed",
    NotifyEditorUnavailable = "notify.editor_unavailable",
    NotifyDraftUpdated = "notify.draft_updated",
    NotifyNotAvailable = "notify.not_available",
    NotifyMarkedRead = "notify.marked_read",
    NotifyMarkedUnread = "notify.marked_unread",
    NotifyFlagged = "notify.flagged",
    NotifyUnflagged = "notify.unflagged",
    NotifyDemoOnly = "notify.demo_only",
    // command descriptions (help screen, palette, which-key)
    CmdQuit = "cmd.app.quit",
    CmdSuspend = "cmd.app.suspend",
    CmdPalette = "cmd.app.palette",
    CmdHelp = "cmd.app.help",
    CmdBack = "cmd.app.back",
    CmdLock = "cmd.app.lock",
    CmdDemoCard = "cmd.app.demo_card",
    CmdGoMailbox = "cmd.go.mailbox",
    CmdGoDirectory = "cmd.go.directory",
    CmdGoRecords = "cmd.go.records",
    CmdGoAudit = "cmd.go.audit",
    CmdGoCompose = "cmd.go.compose",
    CmdDown = "cmd.list.down",
    CmdUp = "cmd.list.up",
    CmdPageDown = "cmd.list.page_down",
    CmdPageUp = "cmd.list.page_up",
    CmdTop = "cmd.list.top",
    CmdBottom = "cmd.list.bottom",
    CmdOpen = "cmd.list.open",
    CmdToggleRead = "cmd.mailbox.toggle_read",
    CmdToggleFlag = "cmd.mailbox.toggle_flag",
    CmdNextUnread = "cmd.mailbox.next_unread",
    CmdCycleSort = "cmd.mailbox.cycle_sort",
    CmdToggleThreads = "cmd.mailbox.toggle_threads",
    CmdFilterUnread = "cmd.mailbox.filter_unread",
    CmdNextFolder = "cmd.mailbox.next_folder",
    CmdPrevFolder = "cmd.mailbox.prev_folder",
    CmdScrollDown = "cmd.reader.scroll_down",
    CmdScrollUp = "cmd.reader.scroll_up",
    CmdToggleHeaders = "cmd.reader.toggle_headers",
    CmdNextMessage = "cmd.reader.next_message",
    CmdPrevMessage = "cmd.reader.prev_message",
    CmdReply = "cmd.reader.reply",
    CmdEditBody = "cmd.compose.edit_body",
    DirectoryOnlineOn = "directory.online_on",
    DirectoryOnlineOff = "directory.online_off",
    DirectoryNoApi = "directory.no_api",
    DirectoryOnlineFailed = "directory.online_failed",
    CmdDirectoryOnline = "cmd.directory.online",
    AuditTitle = "audit.title",
    AuditAllActions = "audit.all_actions",
    AuditAllOutcomes = "audit.all_outcomes",
    AuditKeysHint = "audit.keys_hint",
    AuditNoEntry = "audit.no_entry",
    AuditFailed = "audit.failed",
    CmdAuditCycleAction = "cmd.audit.cycle_action",
    CmdAuditCycleOutcome = "cmd.audit.cycle_outcome",
    DirectorySearchPrompt = "directory.search_prompt",
    DirectoryNoResult = "directory.no_result",
    DirectoryEmptyQuery = "directory.empty_query",
    DirectorySearching = "directory.searching",
    DirectoryFiltersHint = "directory.filters_hint",
    DirectoryActivities = "directory.activities",
    DirectoryMailboxes = "directory.mailboxes",
    DirectoryNoMailbox = "directory.no_mailbox",
    DirectoryWriteHint = "directory.write_hint",
    DirectoryOnline = "directory.online",
    DirectoryFailed = "directory.failed",
    CmdDirectoryWriteTo = "cmd.directory.write_to",
    CmdDirectorySearch = "cmd.directory.search",
    RecordsInsPrompt = "records.ins_prompt",
    RecordsReasonPrompt = "records.reason_prompt",
    RecordsBreakGlass = "records.break_glass",
    RecordsPatient = "records.patient",
    RecordsNoDocuments = "records.no_documents",
    RecordsLoading = "records.loading",
    RecordsOffline = "records.offline",
    RecordsInvalidIns = "records.invalid_ins",
    RecordsReasonTooShort = "records.reason_too_short",
    RecordsFailed = "records.failed",
    RecordsDemoHint = "records.demo_hint",
    RecordsColDate = "records.col_date",
    RecordsColType = "records.col_type",
    RecordsColAuthor = "records.col_author",
    RecordsColFacility = "records.col_facility",
    RecordsUnavailable = "records.unavailable",
    CmdRecordsPatient = "cmd.records.patient",
    CmdRecordsBreakGlass = "cmd.records.break_glass",
    // composing, outbox, receipts (issue 6)
    ComposeFrom = "compose.from",
    ComposeCc = "compose.cc",
    ComposeBcc = "compose.bcc",
    ComposeAttachments = "compose.attachments",
    ComposeNoAttachment = "compose.no_attachment",
    ComposeReceiptMark = "compose.receipt_mark",
    ComposeReceiptOn = "compose.receipt_on",
    ComposeReceiptOff = "compose.receipt_off",
    ComposeKeysHint = "compose.keys_hint",
    ComposeSuggestions = "compose.suggestions",
    ComposeAttachPrompt = "compose.attach_prompt",
    ComposeAttachXdmPrompt = "compose.attach_xdm_prompt",
    ComposeAttachHint = "compose.attach_hint",
    ComposeAttachFailed = "compose.attach_failed",
    ComposeNoAccount = "compose.no_account",
    ComposeNoRecipient = "compose.no_recipient",
    ComposeBadAddress = "compose.bad_address",
    ComposeSending = "compose.sending",
    ComposeCheckingTrust = "compose.checking_trust",
    ComposeQueueing = "compose.queueing",
    ComposeTrustTitle = "compose.trust_title",
    ComposeTrustIntro = "compose.trust_intro",
    ComposeTrustChoices = "compose.trust_choices",
    ComposePasswordTitle = "compose.password_title",
    ComposePasswordIntro = "compose.password_intro",
    ComposePasswordAdvice = "compose.password_advice",
    ComposePasswordClose = "compose.password_close",
    ComposeQueued = "compose.queued",
    ComposeSendFailed = "compose.send_failed",
    ComposeDraftFailed = "compose.draft_failed",
    ScreenOutbox = "screen.outbox",
    OutboxTitle = "outbox.title",
    DraftsTitle = "drafts.title",
    OutboxKeysHint = "outbox.keys_hint",
    DraftsKeysHint = "drafts.keys_hint",
    OutboxColStatus = "outbox.col_status",
    OutboxColNext = "outbox.col_next",
    OutboxColTo = "outbox.col_to",
    OutboxColSubject = "outbox.col_subject",
    OutboxEmpty = "outbox.empty",
    DraftsEmpty = "drafts.empty",
    OutboxQueued = "outbox.queued",
    OutboxSending = "outbox.sending",
    OutboxSent = "outbox.sent",
    OutboxFailedState = "outbox.failed_state",
    OutboxCancelled = "outbox.cancelled",
    OutboxDetail = "outbox.detail",
    OutboxDetailError = "outbox.detail_error",
    OutboxConfirmTitle = "outbox.confirm_title",
    OutboxConfirmCancel = "outbox.confirm_cancel",
    DraftsConfirmDelete = "drafts.confirm_delete",
    OutboxFailed = "outbox.failed",
    OutboxNothingToRetry = "outbox.nothing_to_retry",
    OutboxCannotCancel = "outbox.cannot_cancel",
    ReceiptTitle = "receipt.title",
    ReceiptQuestion = "receipt.question",
    ReceiptDiffers = "receipt.differs",
    ReceiptNoReturnPath = "receipt.no_return_path",
    ReceiptSeveral = "receipt.several",
    ReceiptChoices = "receipt.choices",
    ReceiptQueued = "receipt.queued",
    ReceiptFailed = "receipt.failed",
    CmdComposeNextField = "cmd.compose.next_field",
    CmdComposePrevField = "cmd.compose.prev_field",
    CmdComposeSend = "cmd.compose.send",
    CmdComposeAttach = "cmd.compose.attach",
    CmdComposeAttachXdm = "cmd.compose.attach_xdm",
    CmdComposeRemoveAttachment = "cmd.compose.remove_attachment",
    CmdComposeToggleReceipt = "cmd.compose.toggle_receipt",
    CmdComposeCycleFrom = "cmd.compose.cycle_from",
    CmdComposeSaveDraft = "cmd.compose.save_draft",
    CmdReplyAll = "cmd.reader.reply_all",
    CmdForward = "cmd.reader.forward",
    CmdGoOutbox = "cmd.go.outbox",
    CmdGoDrafts = "cmd.go.drafts",
    CmdOutboxRetry = "cmd.outbox.retry",
    CmdOutboxCancel = "cmd.outbox.cancel",
    CmdOutboxDrafts = "cmd.outbox.drafts",
    CmdOutboxSendNow = "cmd.outbox.send_now",
    OutboxRead = "outbox.read",
    OutboxDelivered = "outbox.delivered",
    OutboxUndelivered = "outbox.undelivered",
    OutboxDeletedUnread = "outbox.deleted_unread",
}

/// A loaded catalogue.
#[derive(Debug, Clone)]
pub struct Texts {
    lang: Lang,
    map: HashMap<String, String>,
}

const FR: &str = include_str!("i18n/fr.toml");
const EN: &str = include_str!("i18n/en.toml");

impl Texts {
    pub fn new(lang: Lang) -> Texts {
        let source = match lang {
            Lang::Fr => FR,
            Lang::En => EN,
        };
        // The catalogues are embedded and checked by tests; should one ever
        // fail to parse, keys are shown instead of crashing.
        let map = toml::from_str::<HashMap<String, String>>(source).unwrap_or_default();
        Texts { lang, map }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn get(&self, key: T) -> &str {
        self.map
            .get(key.key())
            .map(String::as_str)
            .unwrap_or(key.key())
    }

    /// The text with `{name}` placeholders filled.
    pub fn fmt(&self, key: T, args: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_string();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(source: &str) -> BTreeSet<String> {
        toml::from_str::<HashMap<String, String>>(source)
            .expect("catalogue parses")
            .into_keys()
            .collect()
    }

    #[test]
    fn both_catalogues_have_exactly_the_same_keys() {
        let fr = keys(FR);
        let en = keys(EN);
        let only_fr: Vec<_> = fr.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&fr).collect();
        assert!(
            only_fr.is_empty() && only_en.is_empty(),
            "only in fr: {only_fr:?}; only in en: {only_en:?}"
        );
    }

    #[test]
    fn every_key_used_by_the_code_is_translated() {
        let fr = keys(FR);
        let code: BTreeSet<String> = T::ALL.iter().map(|t| t.key().to_string()).collect();
        let missing: Vec<_> = code.difference(&fr).collect();
        let unused: Vec<_> = fr.difference(&code).collect();
        assert!(missing.is_empty(), "keys without text: {missing:?}");
        assert!(unused.is_empty(), "texts without key: {unused:?}");
    }

    #[test]
    fn placeholders_match_between_languages() {
        let fr = Texts::new(Lang::Fr);
        let en = Texts::new(Lang::En);
        let holes = |s: &str| -> BTreeSet<String> {
            s.split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}'))
                .map(|(n, _)| n.to_string())
                .collect()
        };
        for key in T::ALL {
            assert_eq!(
                holes(fr.get(*key)),
                holes(en.get(*key)),
                "placeholders differ for {}",
                key.key()
            );
        }
    }

    #[test]
    fn locale_selection() {
        assert_eq!(Lang::from_locale("en_GB.UTF-8"), Lang::En);
        assert_eq!(Lang::from_locale("fr_FR.UTF-8"), Lang::Fr);
        assert_eq!(Lang::from_locale("C.UTF-8"), Lang::Fr);
        assert_eq!(
            Texts::new(Lang::Fr).fmt(T::LoginTriesLeft, &[("n", "2")]),
            "2 essais restants"
        );
    }
}
