//! The interface's words in Finnish, Swedish and English. Each entry gives all three, so a
//! missing translation does not compile.

use super::layout::Lang;
use crate::request::lifecycle::RequestState;
use crate::request::model::Field;

macro_rules! texts {
    ($($key:ident: $fi:expr, $sv:expr, $en:expr;)*) => {
        /// Every piece of interface text, in one language.
        pub struct Texts { $(pub $key: &'static str,)* }
        pub static FI: Texts = Texts { $($key: $fi,)* };
        pub static SV: Texts = Texts { $($key: $sv,)* };
        pub static EN: Texts = Texts { $($key: $en,)* };
    };
}

texts! {
    service_name: "Vastaamon potilasasiakirjapyynnöt", "Begäran om Vastaamos patientjournaler", "Requests for Vastaamo patient records";
    skip_to_content: "Siirry sisältöön", "Gå till innehållet", "Skip to content";
    main_navigation: "Päävalikko", "Huvudmeny", "Main navigation";
    language: "Kieli", "Språk", "Language";
    sign_in: "Kirjaudu sisään", "Logga in", "Sign in";
    sign_out: "Kirjaudu ulos", "Logga ut", "Sign out";
    signed_in_as: "Kirjautuneena:", "Inloggad:", "Signed in as";
    account_name: "Käyttäjätunnus", "Användarnamn", "Account name";
    account_name_hint: "Pienet kirjaimet a–z, numerot sekä . _ -", "Små bokstäver a–z, siffror och . _ -", "Lower-case letters a–z, digits and . _ -";
    password: "Salasana", "Lösenord", "Password";
    password_hint: "Vähintään 12 merkkiä.", "Minst 12 tecken.", "At least 12 characters.";
    form_expired: "Lomake on vanhentunut. Yritä uudelleen.", "Formuläret har gått ut. Försök igen.", "The form has expired. Please try again.";
    too_many_attempts: "Liian monta epäonnistunutta yritystä. Yritä uudelleen {minutes} minuutin kuluttua.", "För många misslyckade försök. Försök igen om {minutes} minuter.", "Too many failed attempts. Try again in {minutes} minutes.";
    wrong_credentials: "Käyttäjätunnus tai salasana on väärin.", "Fel användarnamn eller lösenord.", "The account name or password is wrong.";
    dashboard: "Yleiskuva", "Översikt", "Dashboard";
    review_queue: "Poikkeusjono", "Undantagskö", "Exception queue";
    pickup: "Nouto", "Hämtning", "Pick-up";
    users: "Käyttäjät", "Användare", "Users";
    requests_by_state: "Pyynnöt tiloittain", "Begäran per status", "Requests by state";
    no_requests: "Ei pyyntöjä.", "Inga begäran.", "No requests.";
    state: "Tila", "Status", "State";
    count: "Määrä", "Antal", "Count";
    overdue: "Myöhässä", "Försenade", "Overdue";
    overdue_marker: "myöhässä", "försenad", "overdue";
    due: "Määräpäivä", "Förfallodag", "Due";
    mail: "Posti", "Post", "Mail";
    mailbox_last_read: "Postilaatikko luettu viimeksi", "Postlådan senast läst", "Mailbox last read";
    never: "ei koskaan", "aldrig", "never";
    outbox_waiting: "Lähtevät odottamassa", "Utgående väntar", "Outbox waiting";
    outbox_deferred: "Lähtevät uudelleenyrityksessä", "Utgående försöks igen", "Outbox deferred";
    outbox_parked: "Lähtevät pysäytetty", "Utgående stoppade", "Outbox parked";
    chart_title: "Saapuneet ja valmiit pyynnöt päivittäin (60 päivää)", "Inkomna och färdiga begäran per dag (60 dagar)", "Requests received and completed per day (60 days)";
    chart_summary: "60 päivässä saapui {received} pyyntöä ja {completed} valmistui luovutettavaksi.", "Under 60 dagar kom {received} begäran in och {completed} blev färdiga för utlämnande.", "In 60 days, {received} requests were received and {completed} became complete for disclosure.";
    chart_as_table: "Luvut taulukkona", "Siffrorna som tabell", "The numbers as a table";
    day: "Päivä", "Dag", "Day";
    received: "Saapunut", "Inkommen", "Received";
    completed: "Valmis", "Färdig", "Completed";
    filter_by_reason: "Syy", "Orsak", "Reason";
    all_reasons: "Kaikki syyt", "Alla orsaker", "All reasons";
    filter: "Suodata", "Filtrera", "Filter";
    in_queue: "{n} pyyntöä jonossa.", "{n} begäran i kön.", "{n} requests in the queue.";
    queue_empty: "Jono on tyhjä.", "Kön är tom.", "The queue is empty.";
    reference: "Viite", "Referens", "Reference";
    reasons: "Syyt", "Orsaker", "Reasons";
    sorted_ascending: "(vanhin ensin)", "(äldsta först)", "(earliest first)";
    sorted_descending: "(myöhäisin ensin)", "(senaste först)", "(latest first)";
    age_days: "Ikä (pv)", "Ålder (d)", "Age (days)";
    pages: "Sivut", "Sidor", "Pages";
    previous_page: "Edellinen sivu", "Föregående sida", "Previous page";
    next_page: "Seuraava sivu", "Nästa sida", "Next page";
    page_of: "Sivu {page} / {pages}", "Sida {page} av {pages}", "Page {page} of {pages}";
    request: "Pyyntö", "Begäran", "Request";
    saved: "Tallennettu.", "Sparat.", "Saved.";
    fields: "Tiedot", "Uppgifter", "Fields";
    field: "Tieto", "Uppgift", "Field";
    value: "Arvo", "Värde", "Value";
    check: "Tarkistus", "Kontroll", "Check";
    correct: "Korjaa", "Rätta", "Correct";
    ok: "kunnossa", "i ordning", "ok";
    invalid: "virheellinen", "ogiltig", "invalid";
    missing: "puuttuu", "saknas", "missing";
    mixed_scripts: "sekoittaa kirjaimistoja – tarkista", "blandar alfabet – kontrollera", "mixes alphabets – check it";
    new_value_for: "Uusi arvo:", "Nytt värde:", "New value for";
    save: "Tallenna", "Spara", "Save";
    edit_hint: "Korjaukset tarkistetaan kuten poiminta: virheellinen henkilötunnus, puhelinnumero tai tuntematon palveluntuottaja hylätään. Tyhjä arvo poistaa tiedon. Vuodet: 2016, 2018–2019. Osoite: katu, postinumero postitoimipaikka.", "Rättelser kontrolleras som vid extraktionen: en ogiltig personbeteckning, ett telefonnummer eller en okänd tjänsteproducent avvisas. Ett tomt värde tar bort uppgiften. År: 2016, 2018–2019. Adress: gata, postnummer postort.", "Corrections are checked as extraction checks them: an invalid identity code or phone number, or an unknown provider, is refused. An empty value clears the field. Years: 2016, 2018-2019. Address: street, postal code post office.";
    resolve: "Ratkaise", "Avgör", "Resolve";
    resolution: "Ratkaisu", "Avgörande", "Resolution";
    resolve_queue: "Valmis: luovutettavaksi", "Färdig: till utlämnande", "Complete: queue for disclosure";
    resolve_reply_missing: "Pyydä puuttuvat tiedot asiakkaalta", "Be kunden om de saknade uppgifterna", "Ask the citizen for the missing fields";
    resolve_reply_text: "Vastaa asiakkaalle omalla tekstillä", "Svara kunden med egen text", "Reply to the citizen with your own text";
    resolve_reject: "Hylkää (teksti on perustelu)", "Avslå (texten är motiveringen)", "Reject (the text is the reason)";
    text_to_citizen: "Teksti asiakkaalle", "Text till kunden", "Text to the citizen";
    text_hint: "Älä mainitse hoitoa tai palveluntuottajaa: viestin voi lukea joku muu.", "Nämn inte vården eller tjänsteproducenten: någon annan kan läsa meddelandet.", "Do not name the care or the provider: someone else may read the message.";
    text_needed: "Kirjoita teksti asiakkaalle.", "Skriv texten till kunden.", "Write the text to the citizen.";
    text_names_care: "Teksti mainitsee hoidon tai palveluntuottajan (\"{word}\"). Muotoile se toisin.", "Texten nämner vården eller tjänsteproducenten (\"{word}\"). Formulera om den.", "The text names the care or a provider (\"{word}\"). Please rephrase it.";
    messages: "Viestit", "Meddelanden", "Messages";
    message: "Viesti", "Meddelande", "Message";
    download_message: "Lataa viesti (.eml)", "Ladda ner meddelandet (.eml)", "Download the message (.eml)";
    subject: "Aihe", "Ämne", "Subject";
    sender: "Lähettäjä", "Avsändare", "Sender";
    attachments: "Liitteet", "Bilagor", "Attachments";
    download: "Lataa liite", "Ladda ner bilaga", "Download attachment";
    unnamed: "nimetön", "namnlös", "unnamed";
    body_truncated: "Viesti on lyhennetty. Lataa koko viesti yllä.", "Meddelandet är förkortat. Ladda ner hela meddelandet ovan.", "The message is shortened here. Download the whole message above.";
    history: "Tapahtumat", "Händelser", "History";
    time: "Aika (UTC)", "Tid (UTC)", "Time (UTC)";
    who: "Kuka", "Vem", "Who";
    event: "Tapahtuma", "Händelse", "Event";
    detail: "Lisätieto", "Detalj", "Detail";
    waiting_for_pickup: "Noudettavissa", "Att hämta", "Waiting for pick-up";
    nothing_waiting: "Ei noudettavia pyyntöjä.", "Inga begäran att hämta.", "No requests wait for pick-up.";
    pickup_hint: "Valitse enintään {n} pyyntöä kerrallaan. Lataus on zip-tiedosto salatuista paketeista (REF.pgp) ja luettelosta index.csv.", "Välj högst {n} begäran åt gången. Nedladdningen är en zip-fil med krypterade paket (REF.pgp) och förteckningen index.csv.", "Select at most {n} requests at a time. The download is a zip file of encrypted bundles (REF.pgp) and the list index.csv.";
    select: "Valitse", "Välj", "Select";
    download_bundles: "Nouda valitut (lataa salatut paketit)", "Hämta valda (ladda ner krypterade paket)", "Pick up the selected (download encrypted bundles)";
    awaiting_disclosure: "Noudettu, odottaa luovutuksen kuittausta", "Hämtade, väntar på kvittering av utlämnandet", "Picked up, awaiting confirmation of disclosure";
    nothing_picked_up: "Ei noudettuja pyyntöjä.", "Inga hämtade begäran.", "No picked-up requests.";
    picked_up_on: "Noudettu", "Hämtad", "Picked up";
    mark_disclosed: "Merkitse valitut luovutetuiksi", "Markera valda som utlämnade", "Mark the selected as disclosed";
    marked_disclosed: "{n} pyyntöä merkitty luovutetuiksi.", "{n} begäran markerade som utlämnade.", "{n} requests marked as disclosed.";
    select_some: "Valitse ainakin yksi pyyntö.", "Välj minst en begäran.", "Select at least one request.";
    no_certificates: "Organisaatiollesi ei ole määritetty salausvarmennetta. Ota yhteys ylläpitoon.", "Ingen krypteringscertifikat har konfigurerats för din organisation. Kontakta administrationen.", "No encryption certificate is configured for your organisation. Contact the administrators.";
    none_taken: "Yksikään valituista ei ollut enää noudettavissa.", "Ingen av de valda väntade längre på hämtning.", "None of the selected requests was still waiting.";
    not_all_disclosable: "Kaikkia valittuja ei voitu merkitä: jokin ei ole noudettu tai kuuluu toiselle organisaatiolle. Mitään ei muutettu.", "Alla valda kunde inte markeras: någon är inte hämtad eller hör till en annan organisation. Inget ändrades.", "Not all could be marked: one is not picked up or belongs to another organisation. Nothing changed.";
    role: "Rooli", "Roll", "Role";
    organisation: "Organisaatio", "Organisation", "Organisation";
    action: "Toiminto", "Åtgärd", "Action";
    active: "käytössä", "aktiv", "active";
    disabled: "poistettu käytöstä", "inaktiverad", "disabled";
    enable: "Ota käyttöön", "Aktivera", "Enable";
    disable: "Poista käytöstä", "Inaktivera", "Disable";
    add_user: "Lisää käyttäjä", "Lägg till användare", "Add a user";
}

/// A request state's name for people.
pub fn state_name(lang: Lang, state: RequestState) -> &'static str {
    use RequestState as S;
    let [fi, sv, en] = match state {
        S::Incomplete => ["puutteellinen", "ofullständig", "incomplete"],
        S::Complete => ["valmis", "färdig", "complete"],
        S::NeedsReview => ["käsittelijälle", "till handläggare", "needs review"],
        S::Queued => ["luovutusjonossa", "i utlämningskön", "queued"],
        S::PickedUp => ["noudettu", "hämtad", "picked up"],
        S::Disclosed => ["luovutettu", "utlämnad", "disclosed"],
        S::Rejected => ["hylätty", "avslagen", "rejected"],
        S::Expired => ["vanhentunut", "förfallen", "expired"],
        S::Withdrawn => ["peruttu", "återtagen", "withdrawn"],
    };
    pick(lang, fi, sv, en)
}

fn pick(lang: Lang, fi: &'static str, sv: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Fi => fi,
        Lang::Sv => sv,
        Lang::En => en,
    }
}

/// A field's label.
pub fn field_label(lang: Lang, field: Field) -> &'static str {
    let [fi, sv, en] = match field {
        Field::Surname => ["Sukunimi", "Efternamn", "Surname"],
        Field::FirstNames => ["Etunimet", "Förnamn", "First names"],
        Field::FormerNames => ["Entiset nimet", "Tidigare namn", "Former names"],
        Field::PersonalId => [
            "Henkilötunnus",
            "Personbeteckning",
            "Personal identity code",
        ],
        Field::RequestedInformation => [
            "Pyydetyt tiedot",
            "Begärda uppgifter",
            "Requested information",
        ],
        Field::ServiceProvider => ["Palveluntuottaja", "Tjänsteproducent", "Service provider"],
        Field::TreatmentYears => ["Hoitovuodet", "Vårdår", "Years of treatment"],
        Field::Phone => ["Puhelinnumero", "Telefonnummer", "Phone number"],
        Field::SmsConsent => [
            "Tekstiviesti-ilmoitus",
            "SMS-avisering",
            "SMS arrival notice",
        ],
        Field::Address => ["Postiosoite", "Postadress", "Postal address"],
    };
    pick(lang, fi, sv, en)
}

/// A review reason's description (unknown names are shown as they are).
pub fn reason_name(lang: Lang, reason: &str) -> String {
    let known = match reason {
        "auto_submitted" => [
            "automaattinen viesti",
            "automatiskt meddelande",
            "automatic message",
        ],
        "conflicting_fields" => [
            "ristiriitaiset tiedot",
            "motstridiga uppgifter",
            "conflicting fields",
        ],
        "conflicting_personal_ids" => [
            "useita henkilötunnuksia",
            "flera personbeteckningar",
            "several identity codes",
        ],
        "deceased_person" => ["kuollut henkilö", "avliden person", "deceased person"],
        "encrypted_undecryptable" => [
            "salausta ei voitu purkaa",
            "krypteringen kunde inte öppnas",
            "could not be decrypted",
        ],
        "no_request_found" => [
            "pyyntöä ei löytynyt",
            "ingen begäran hittades",
            "no request found",
        ],
        "no_text" => ["ei tekstiä", "ingen text", "no text"],
        "on_behalf_of_another_person" => [
            "toisen puolesta",
            "för någon annans räkning",
            "on behalf of another person",
        ],
        "too_large" => ["liian suuri", "för stort", "too large"],
        "unauthenticated_sender" => [
            "lähettäjää ei todennettu",
            "avsändaren inte autentiserad",
            "unauthenticated sender",
        ],
        "unknown_service_provider" => [
            "tuntematon palveluntuottaja",
            "okänd tjänsteproducent",
            "unknown service provider",
        ],
        "unreadable_attachment" => [
            "liitettä ei voitu lukea",
            "bilagan kunde inte läsas",
            "unreadable attachment",
        ],
        "possible_duplicate" => [
            "mahdollinen kaksoiskappale",
            "möjlig dubblett",
            "possible duplicate",
        ],
        "follow_up_from_other_sender" => [
            "täydennys toiselta lähettäjältä",
            "komplettering från annan avsändare",
            "follow-up from another sender",
        ],
        "follow_up_to_closed_request" => [
            "täydennys suljettuun pyyntöön",
            "komplettering till avslutad begäran",
            "follow-up to a closed request",
        ],
        _ => return reason.to_string(),
    };
    pick(lang, known[0], known[1], known[2]).to_string()
}
