//! Named commands: the only things a key, the palette or a mouse gesture can ask for.
//!
//! Every command is registered once in [`REGISTRY`] with its name (the word
//! keymap files and the palette use) and its description (an i18n key), so the
//! help screen, the which-key popup and the palette are all built from the same
//! table and can never disagree with what the keys do.

use super::i18n::T;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppCmd {
    ToggleDemoCard,
    Quit,
    Suspend,
    OpenPalette,
    OpenHelp,
    Back,
    Lock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GoCmd {
    Mailbox,
    Directory,
    Records,
    Audit,
    Compose,
    Outbox,
    Drafts,
}

/// Movement in whatever list has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListCmd {
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Open,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailboxCmd {
    ToggleRead,
    ToggleFlag,
    NextUnread,
    CycleSort,
    ToggleThreads,
    FilterUnread,
    NextFolder,
    PrevFolder,
    Search,
    Filter,
    FilterFlagged,
    FilterAttachment,
    ClearFilters,
    Move,
    Delete,
    Expunge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReaderCmd {
    ScrollDown,
    ScrollUp,
    ToggleHeaders,
    NextMessage,
    PrevMessage,
    Reply,
    ReplyAll,
    Forward,
    ToggleHtml,
    NextAttachment,
    SaveAttachment,
    ViewAttachment,
    Xdm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComposeCmd {
    EditBody,
    NextField,
    PrevField,
    Send,
    Attach,
    AttachXdm,
    RemoveAttachment,
    ToggleReceipt,
    CycleFrom,
    SaveDraft,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxCmd {
    Retry,
    Cancel,
    ToggleDrafts,
    SendNow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditCmd {
    CycleAction,
    CycleOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DirectoryCmd {
    ToggleOnline,
    WriteTo,
    FocusSearch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordsCmd {
    ChoosePatient,
    BreakGlass,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    App(AppCmd),
    Go(GoCmd),
    List(ListCmd),
    Mailbox(MailboxCmd),
    Reader(ReaderCmd),
    Compose(ComposeCmd),
    Records(RecordsCmd),
    Directory(DirectoryCmd),
    Audit(AuditCmd),
    Outbox(OutboxCmd),
}

/// One registered command.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub name: &'static str,
    pub command: Command,
    pub help: T,
}

macro_rules! registry {
    ($($name:literal => $cmd:expr, $help:ident;)*) => {
        pub const REGISTRY: &[CommandSpec] = &[
            $(CommandSpec { name: $name, command: $cmd, help: T::$help },)*
        ];
    };
}

use AppCmd as A;
use AuditCmd as U;
use ComposeCmd as C;
use DirectoryCmd as Y;
use GoCmd as G;
use ListCmd as L;
use MailboxCmd as M;
use OutboxCmd as O;
use ReaderCmd as R;
use RecordsCmd as D;

registry! {
    "app.quit" => Command::App(A::Quit), CmdQuit;
    "app.suspend" => Command::App(A::Suspend), CmdSuspend;
    "app.palette" => Command::App(A::OpenPalette), CmdPalette;
    "app.help" => Command::App(A::OpenHelp), CmdHelp;
    "app.back" => Command::App(A::Back), CmdBack;
    "app.lock" => Command::App(A::Lock), CmdLock;
    "app.demo_card" => Command::App(A::ToggleDemoCard), CmdDemoCard;
    "go.mailbox" => Command::Go(G::Mailbox), CmdGoMailbox;
    "go.directory" => Command::Go(G::Directory), CmdGoDirectory;
    "go.records" => Command::Go(G::Records), CmdGoRecords;
    "go.audit" => Command::Go(G::Audit), CmdGoAudit;
    "go.compose" => Command::Go(G::Compose), CmdGoCompose;
    "list.down" => Command::List(L::Down), CmdDown;
    "list.up" => Command::List(L::Up), CmdUp;
    "list.page_down" => Command::List(L::PageDown), CmdPageDown;
    "list.page_up" => Command::List(L::PageUp), CmdPageUp;
    "list.top" => Command::List(L::Top), CmdTop;
    "list.bottom" => Command::List(L::Bottom), CmdBottom;
    "list.open" => Command::List(L::Open), CmdOpen;
    "mailbox.toggle_read" => Command::Mailbox(M::ToggleRead), CmdToggleRead;
    "mailbox.toggle_flag" => Command::Mailbox(M::ToggleFlag), CmdToggleFlag;
    "mailbox.next_unread" => Command::Mailbox(M::NextUnread), CmdNextUnread;
    "mailbox.cycle_sort" => Command::Mailbox(M::CycleSort), CmdCycleSort;
    "mailbox.toggle_threads" => Command::Mailbox(M::ToggleThreads), CmdToggleThreads;
    "mailbox.filter_unread" => Command::Mailbox(M::FilterUnread), CmdFilterUnread;
    "mailbox.next_folder" => Command::Mailbox(M::NextFolder), CmdNextFolder;
    "mailbox.prev_folder" => Command::Mailbox(M::PrevFolder), CmdPrevFolder;
    "mailbox.search" => Command::Mailbox(M::Search), CmdMailboxSearch;
    "mailbox.filter" => Command::Mailbox(M::Filter), CmdMailboxFilter;
    "mailbox.filter_flagged" => Command::Mailbox(M::FilterFlagged), CmdMailboxFilterFlagged;
    "mailbox.filter_attachment" => Command::Mailbox(M::FilterAttachment), CmdMailboxFilterAttachment;
    "mailbox.clear_filters" => Command::Mailbox(M::ClearFilters), CmdMailboxClearFilters;
    "mailbox.move" => Command::Mailbox(M::Move), CmdMailboxMove;
    "mailbox.delete" => Command::Mailbox(M::Delete), CmdMailboxDelete;
    "mailbox.expunge" => Command::Mailbox(M::Expunge), CmdMailboxExpunge;
    "reader.scroll_down" => Command::Reader(R::ScrollDown), CmdScrollDown;
    "reader.scroll_up" => Command::Reader(R::ScrollUp), CmdScrollUp;
    "reader.toggle_headers" => Command::Reader(R::ToggleHeaders), CmdToggleHeaders;
    "reader.next_message" => Command::Reader(R::NextMessage), CmdNextMessage;
    "reader.prev_message" => Command::Reader(R::PrevMessage), CmdPrevMessage;
    "reader.reply" => Command::Reader(R::Reply), CmdReply;
    "reader.toggle_html" => Command::Reader(R::ToggleHtml), CmdReaderToggleHtml;
    "reader.next_attachment" => Command::Reader(R::NextAttachment), CmdReaderNextAttachment;
    "reader.save_attachment" => Command::Reader(R::SaveAttachment), CmdReaderSaveAttachment;
    "reader.view_attachment" => Command::Reader(R::ViewAttachment), CmdReaderViewAttachment;
    "reader.xdm" => Command::Reader(R::Xdm), CmdReaderXdm;
    "compose.edit_body" => Command::Compose(C::EditBody), CmdEditBody;
    "compose.next_field" => Command::Compose(C::NextField), CmdComposeNextField;
    "compose.prev_field" => Command::Compose(C::PrevField), CmdComposePrevField;
    "compose.send" => Command::Compose(C::Send), CmdComposeSend;
    "compose.attach" => Command::Compose(C::Attach), CmdComposeAttach;
    "compose.attach_xdm" => Command::Compose(C::AttachXdm), CmdComposeAttachXdm;
    "compose.remove_attachment" => Command::Compose(C::RemoveAttachment), CmdComposeRemoveAttachment;
    "compose.toggle_receipt" => Command::Compose(C::ToggleReceipt), CmdComposeToggleReceipt;
    "compose.cycle_from" => Command::Compose(C::CycleFrom), CmdComposeCycleFrom;
    "compose.save_draft" => Command::Compose(C::SaveDraft), CmdComposeSaveDraft;
    "reader.reply_all" => Command::Reader(R::ReplyAll), CmdReplyAll;
    "reader.forward" => Command::Reader(R::Forward), CmdForward;
    "go.outbox" => Command::Go(G::Outbox), CmdGoOutbox;
    "go.drafts" => Command::Go(G::Drafts), CmdGoDrafts;
    "outbox.retry" => Command::Outbox(O::Retry), CmdOutboxRetry;
    "outbox.cancel" => Command::Outbox(O::Cancel), CmdOutboxCancel;
    "outbox.drafts" => Command::Outbox(O::ToggleDrafts), CmdOutboxDrafts;
    "outbox.send_now" => Command::Outbox(O::SendNow), CmdOutboxSendNow;
    "directory.online" => Command::Directory(Y::ToggleOnline), CmdDirectoryOnline;
    "directory.write_to" => Command::Directory(Y::WriteTo), CmdDirectoryWriteTo;
    "directory.search" => Command::Directory(Y::FocusSearch), CmdDirectorySearch;
    "audit.cycle_action" => Command::Audit(U::CycleAction), CmdAuditCycleAction;
    "audit.cycle_outcome" => Command::Audit(U::CycleOutcome), CmdAuditCycleOutcome;
    "records.patient" => Command::Records(D::ChoosePatient), CmdRecordsPatient;
    "records.break_glass" => Command::Records(D::BreakGlass), CmdRecordsBreakGlass;
}

pub fn by_name(name: &str) -> Option<&'static CommandSpec> {
    REGISTRY.iter().find(|spec| spec.name == name)
}

pub fn spec_of(command: Command) -> Option<&'static CommandSpec> {
    REGISTRY.iter().find(|spec| spec.command == command)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_and_commands_are_unique() {
        let names: HashSet<_> = REGISTRY.iter().map(|s| s.name).collect();
        let commands: HashSet<_> = REGISTRY.iter().map(|s| s.command).collect();
        assert_eq!(names.len(), REGISTRY.len());
        assert_eq!(commands.len(), REGISTRY.len());
    }

    #[test]
    fn lookup_both_ways() {
        let spec = by_name("list.down").expect("registered");
        assert_eq!(spec.command, Command::List(ListCmd::Down));
        assert_eq!(
            spec_of(Command::App(AppCmd::Quit)).map(|s| s.name),
            Some("app.quit")
        );
        assert!(by_name("nope").is_none());
    }
}
