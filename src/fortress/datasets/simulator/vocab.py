"""Word lists the text generators draw from (URLs, domains, messages). Plain data, no logic."""

from __future__ import annotations

_WORDS = """
    able about account acid active actor adult advice after again agent agree ahead air alarm album
    alpha amber angle animal answer apple april arena arrow art artist asset atlas audio autumn avenue
    baby bacon badge baker ball band bank barn base basic basket beach bean bear beauty bell berry best
    bike bird black blade blank blast blog blue board boat body bold bond book boost boot border boss
    box brain brand brave bread brick bridge bright broad brown budget build bulk burger button cabin
    cable cafe cake camera camp candy canvas capital car card care cargo carpet case cash castle cat
    cedar center chain chair chalk chance change charm chart chase cheap check chef cherry chess chief
    child choice circle city civic claim class clean clear click climb clock cloud club coach coast
    code coffee coin cold color comfort common cook cool copper core corner cost cotton country craft
    crane cream credit crew crisp cross crowd crown crystal cube cup curve cyber daily dance dark data
    dawn deal deep delta desert design desk detail diamond digital dinner direct doctor dog dollar
    door double dragon drama dream dress drive drop eagle early earth east easy echo edge editor
    eight elite ember empire energy engine epic equal event exact expert express fabric face fact fair
    faith falcon family farm fashion fast feather field film final finance fire first fish fit flag
    flame flash fleet flight floor flower focus food forest form fort forum fox frame fresh friend
    front frost fruit fuel fun future galaxy game garden gate gear gem giant gift glass global glory
    gold golf good grace grand graph green grid group guard guide guitar habit hammer hand happy harbor
    harvest hawk health heart heat help hero high hill history hobby holiday home honey hope horizon
    horse host hotel house hub human hunter ice icon idea image impact index inner insight iron island
    jacket jazz jewel job join journal joy judge juice jump jungle just keen key kid kind king kitchen
    kite lab ladder lake lamp land laser late layer leaf lean learn legal lemon level liberty life
    light lime line link lion list little live local logic lotus loyal lucky lunar machine magic mail
    main major maple map marble market mars master match matrix meadow media medical melody metal
    metro micro middle mile milk mind mint mirror mobile modern moment money monkey moon morning motor
    mountain mouse movie music native nature navy network new news next nice night noble north note
    novel number oak ocean office olive omega online open orange orbit order organic outdoor owl
    pacific page paint panda paper park party path peace peak pearl pencil people pepper perfect pet
    phone photo piano pilot pine pink pixel pizza place planet plant plate play plaza plus pocket
    point polar pool port power press prime print pro profit pulse pure purple quest quick quiet
    rabbit race radio rain rapid raven ready real red reef river road robot rock rocket room root rose
    round royal ruby rush safe sage sail salt sand scale school science score sea season second secure
    seed sense seven shadow shape share sharp shell shield shift shine ship shop shore signal silver
    simple sky smart smile snow social solar solid sound south space spark speed spice spirit sport
    spring square star state steel stone store storm story street strong studio style sugar summer
    sun super swift table talent target taste team tech tiger time tiny title today token top tower
    town track trade trail train travel tree trend tribe true trust truth turbo twin union unit urban
    valley value vector velvet venture verse victory view village vintage vision vista vital voice
    wave web west whale white wild wind window wine wing winter wise wolf wonder wood word work world
    yard year yellow young zen zero zone
"""
WORDS: tuple[str, ...] = tuple(_WORDS.split())

# Words only the wordlist DGA families (suppobox / matsnu style) combine; they overlap WORDS in style.
_DGA_WORDS = """
    against already another because before begin behind believe between beyond bought brought
    certain chapter company consider contain continue could country decide describe despite develop
    different during either enough example explain famous father finish follow forward further
    happen heavy however hundred husband include indeed instead interest itself knowledge language
    letter listen matter measure member mention method mother myself nearly neither nothing notice
    number object office often order other paragraph particular perhaps period picture position
    probably produce program provide quarter question rather reason receive record remember report
    require result return second several shoulder should similar single sister someone something
    sometimes special stand straight strange student subject suddenly suggest suppose surface system
    therefore thousand through together toward travel trouble usually various village whether whose
    within without woman wonder would written yourself
"""
DGA_WORDS: tuple[str, ...] = tuple(_DGA_WORDS.split())

BRANDS: tuple[str, ...] = (
    "paypal",
    "amazon",
    "apple",
    "microsoft",
    "google",
    "netflix",
    "facebook",
    "instagram",
    "chase",
    "wellsfargo",
    "bankofamerica",
    "citibank",
    "hsbc",
    "barclays",
    "dropbox",
    "linkedin",
    "ebay",
    "yahoo",
    "outlook",
    "office365",
    "adobe",
    "docusign",
    "dhl",
    "fedex",
    "usps",
    "coinbase",
    "binance",
    "steam",
    "spotify",
    "whatsapp",
)

# Typo-squats and homoglyph swaps used by phishing hosts.
LOOKALIKE_SWAPS: tuple[tuple[str, str], ...] = (
    ("l", "1"),
    ("o", "0"),
    ("i", "1"),
    ("m", "rn"),
    ("a", "4"),
    ("e", "3"),
    ("s", "5"),
    ("w", "vv"),
)

BENIGN_TLDS: tuple[str, ...] = ("com", "org", "net", "edu", "io", "co.uk", "de", "gov", "fr", "ca", "info")
BENIGN_TLD_WEIGHTS: tuple[float, ...] = (0.55, 0.1, 0.08, 0.04, 0.05, 0.05, 0.04, 0.02, 0.03, 0.02, 0.02)
SUSPICIOUS_TLDS: tuple[str, ...] = (
    "tk",
    "ml",
    "ga",
    "cf",
    "gq",
    "xyz",
    "top",
    "buzz",
    "online",
    "site",
    "club",
    "ru",
    "cn",
    "info",
    "live",
)

_FIRST_NAMES = """
    James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Barbara Richard
    Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark
    Sandra Paul Ashley Steven Emily Andrew Donna Kevin Michelle Brian Carol George Amanda Ed Tom Ann
"""
FIRST_NAMES: tuple[str, ...] = tuple(_FIRST_NAMES.split())

# Topic sentences any author or any legitimate sender may write (messages and writing style).
EVERYDAY: tuple[str, ...] = (
    "the meeting moved to thursday afternoon",
    "i pushed the fix for the build to the main branch",
    "can you review the draft before friday",
    "the quarterly numbers look better than expected",
    "we are out of coffee in the kitchen again",
    "the server was restarted last night after the update",
    "my flight lands around seven so i will be late",
    "the kids have a school play next week",
    "please send me the slides from the workshop",
    "the new release fixes the memory leak we saw",
    "let us grab lunch when you are back in town",
    "the printer on the third floor is jammed",
    "thanks for the notes from yesterday's call",
    "i attached the spreadsheet with the budget",
    "the patch breaks the tests on older kernels",
    "dinner at my place on saturday if you are free",
    "the contract renewal is due at the end of the month",
    "i will be working from home tomorrow",
    "the backup job failed with a disk full error",
    "happy birthday, hope you have a great day",
    "the garden looks amazing after all the rain",
    "we should update the documentation for the api",
    "the train was cancelled so i took the bus",
    "could you check the logs for the payment service",
)
