"""chef.dishes"""

from dataclasses import dataclass

STYLES = ("casero", "formal", "esquema", "cercano")

# ---------------------------------------------------------------------------
# Verbs: every step is written with {verb} placeholders, conjugated per style
# (tú imperative, usted imperative, infinitive, nosotros present).
# ---------------------------------------------------------------------------
_VERB_TABLE = """
calienta|caliente|calentar|calentamos
dora|dore|dorar|doramos
salpimienta|salpimiente|salpimentar|salpimentamos
reserva|reserve|reservar|reservamos
sofrie:sofríe|sofría|sofreír|sofreímos
anade:añade|añada|añadir|añadimos
rehoga|rehogue|rehogar|rehogamos
incorpora|incorpore|incorporar|incorporamos
remueve|remueva|remover|removemos
vierte|vierta|verter|vertemos
deja|deje|dejar|dejamos
cubre|cubra|cubrir|cubrimos
sazona|sazone|sazonar|sazonamos
cuece|cueza|cocer|cocemos
prueba|pruebe|probar|probamos
sirve|sirva|servir|servimos
saltea|saltee|saltear|salteamos
cocina|cocine|cocinar|cocinamos
reparte|reparta|repartir|repartimos
marca|marque|marcar|marcamos
escurre|escurra|escurrir|escurrimos
enfria:enfría|enfríe|enfriar|enfriamos
pela|pele|pelar|pelamos
corta|corte|cortar|cortamos
coloca|coloque|colocar|colocamos
prepara|prepare|preparar|preparamos
alina:aliña|aliñe|aliñar|aliñamos
tritura|triture|triturar|trituramos
rectifica|rectifique|rectificar|rectificamos
pocha|poche|pochar|pochamos
bate|bata|batir|batimos
mezcla|mezcle|mezclar|mezclamos
cuaja|cuaje|cuajar|cuajamos
baja|baje|bajar|bajamos
retira|retire|retirar|retiramos
pon|ponga|poner|ponemos
precalienta|precaliente|precalentar|precalentamos
riega|riegue|regar|regamos
hornea|hornee|hornear|horneamos
espolvorea|espolvoree|espolvorear|espolvoreamos
gratina|gratine|gratinar|gratinamos
asa|ase|asar|asamos
funde|funda|fundir|fundimos
tuesta|tueste|tostar|tostamos
decora|decore|decorar|decoramos
guarda|guarde|guardar|guardamos
pica|pique|picar|picamos
lava|lave|lavar|lavamos
ralla|ralle|rallar|rallamos
lamina|lamine|laminar|laminamos
limpia|limpie|limpiar|limpiamos
exprime|exprima|exprimir|exprimimos
enjuaga|enjuague|enjuagar|enjuagamos
desmenuza|desmenuce|desmenuzar|desmenuzamos
desgrana|desgrane|desgranar|desgranamos
seca|seque|secar|secamos
tapa|tape|tapar|tapamos
acompana:acompaña|acompañe|acompañar|acompañamos
aprovecha|aproveche|aprovechar|aprovechamos
usa|use|usar|usamos
termina|termine|terminar|terminamos
no_cuezas:no cuezas|no cueza|no cocer|no cocemos
no_remuevas:no remuevas|no remueva|no remover|no removemos
no_laves:no laves|no lave|no lavar|no lavamos
"""


def _parse_verbs(table: str) -> dict:
    verbs = {}
    for line in table.strip().splitlines():
        key, sep, rest = line.partition(":")
        if not sep or "|" in key:  # no explicit key: the tú form is the key
            key, rest = line.split("|")[0], line
        verbs[key] = tuple(rest.split("|"))
    return verbs


VERBS = _parse_verbs(_VERB_TABLE)
STYLE_INDEX = {style: i for i, style in enumerate(STYLES)}

# Participles used after an ingredient name ("la cebolla picada"): prep verb -> stem.
PARTICIPLE_OF = {
    "pica": "picad", "corta": "cortad", "ralla": "rallad", "lamina": "laminad",
    "pela": "pelad", "lava": "lavad", "limpia": "limpiad", "enjuaga": "enjuagad",
    "escurre": "escurrid", "desmenuza": "desmenuzad", "exprime": "exprimid",
    "desgrana": "desgranad", "seca": "secad",
}
# Every stem that may follow an ingredient name and must agree with it (used by tests).
PARTICIPLE_STEMS = sorted(set(PARTICIPLE_OF.values()) | {"cocid", "median", "pequeñ", "tostad"})

# ---------------------------------------------------------------------------
# Dish types, the roles an ingredient can play, and which roles each dish uses
# ---------------------------------------------------------------------------
ROLE_DISHES = {
    "aroma": "guiso salteado sopa crema tortilla revuelto arroz pasta al_horno",
    "verdura": "guiso salteado sopa crema tortilla revuelto arroz pasta al_horno a_la_plancha",
    "tuberculo": "guiso sopa crema tortilla al_horno",
    "crudo": "ensalada",
    "carne": "guiso salteado arroz pasta al_horno a_la_plancha",
    "pescado": "guiso arroz al_horno a_la_plancha sopa",
    "proteina_veg": "guiso salteado arroz al_horno a_la_plancha",
    "conserva": "ensalada pasta",
    "legumbre": "guiso sopa ensalada arroz salteado crema",
    "arroz": "arroz",
    "pasta": "pasta",
    "grano": "ensalada",
    "pan": "ensalada crema sopa",
    "liquido": "guiso pasta arroz sopa al_horno",
    "leche": "crema batido",
    "especia": "guiso salteado sopa crema arroz pasta al_horno a_la_plancha",
    "hierba": "guiso salteado sopa crema arroz pasta al_horno a_la_plancha ensalada tortilla revuelto",
    "queso": "ensalada pasta al_horno tortilla revuelto",
    "lacteo": "postre batido",
    "huevo": "tortilla revuelto ensalada",
    "fruta": "postre batido",
    "fruta_cruda": "postre batido",
    "fruto_seco": "ensalada postre salteado",
    "dulce": "postre batido",
    "chocolate": "postre",
    "condimento": "ensalada a_la_plancha salteado",
}
PROTEIN_ROLES = ("carne", "pescado", "proteina_veg")
SEASONING_ROLES = ("especia", "hierba", "condimento", "dulce", "huevo", "fruto_seco", "liquido", "leche")  # kept out of titles
# Roles that make no sense twice in one dish (two rices, two sauces...).
ROLE_LIMITS = {"arroz": 1, "pasta": 1, "grano": 1, "huevo": 1, "liquido": 1, "leche": 1, "chocolate": 1,
               "pan": 1, "queso": 2, "especia": 2, "hierba": 2, "fruto_seco": 2, "dulce": 2, "lacteo": 2,
               "condimento": 2, "conserva": 2, "tuberculo": 2, "legumbre": 2, "aroma": 3}


@dataclass(frozen=True)
class Phase:
    """One step of a dish: uses the requested ingredients of `roles` ({X}, {Xp} with participles).

    A phase without roles is always written, unless `requires` names roles none of which is present.
    `minutes` is a (low, high) range for {m}, or "cook" for the longest cook time of its ingredients.
    """

    roles: tuple
    text: str
    minutes: object = None
    requires: tuple = ()


@dataclass(frozen=True)
class Dish:
    key: str  # dish_type value
    indef: str  # "un guiso"
    bare: str  # "guiso"
    gender: str  # of the dish noun, for adjectives in intros
    anchors: tuple  # at least one requested ingredient must have one of these roles
    phases: tuple
    tips: tuple
    quick: bool  # fits a "rápido" request


DISHES = {}


def _dish(key, indef, bare, gender, anchors, quick, phases, tips):
    DISHES[key] = Dish(key, indef, bare, gender, tuple(anchors.split()), tuple(phases), tuple(tips), quick)


_dish("guiso", "un guiso", "guiso", "m", "carne pescado legumbre tuberculo proteina_veg", False, [
    Phase((), "{calienta} el aceite de oliva en una cazuela amplia a fuego medio."),
    Phase(("carne", "proteina_veg"), "{dora} {X} a fuego fuerte durante {m} minutos y {salpimienta}.", (5, 8)),
    Phase(("aroma",), "En la misma cazuela, {sofrie} {Xp} a fuego suave durante {m} minutos, removiendo de vez en cuando.", (6, 10)),
    Phase(("verdura", "tuberculo"), "{anade} {X} y {rehoga} {m} minutos.", (4, 6)),
    Phase(("especia",), "{incorpora} {X} y {remueve} unos segundos para que suelte su aroma."),
    Phase(("liquido", "leche"), "{vierte} {X} y {deja} que reduzca {m} minutos.", (3, 5)),
    Phase((), "{cubre} con el caldo de verduras, {sazona} con sal y pimienta negra y {cuece} tapado a fuego lento durante {m} minutos.", "cook"),
    Phase(("legumbre", "pescado"), "{anade} {X} y {cuece} {m} minutos más, sin remover demasiado.", (6, 10)),
    Phase(("hierba",), "{termina} con {Xp} por encima.", None),
    Phase((), "{prueba} de sal y {sirve} bien caliente."),
], [
    "{deja} reposar el guiso unos minutos antes de servir: los sabores se asientan y gana mucho.",
    "Este guiso está todavía mejor al día siguiente; {guarda} lo que sobre en la nevera.",
    "{no_cuezas} a fuego fuerte: a fuego lento todo queda más tierno.",
])
_dish("salteado", "un salteado", "salteado", "m", "verdura carne proteina_veg pescado", True, [
    Phase((), "{calienta} el aceite de oliva en una sartén grande o un wok a fuego fuerte."),
    Phase(("carne", "pescado", "proteina_veg"), "{saltea} {X} durante {m} minutos a fuego vivo y {reserva}.", (3, 5)),
    Phase(("aroma",), "En la misma sartén, {saltea} {Xp} {m} minutos.", (1, 2)),
    Phase(("verdura",), "{incorpora} {X} y {saltea} {m} minutos, hasta que las verduras estén tiernas pero crujientes.", (4, 6)),
    Phase(("legumbre",), "{anade} {X} y {saltea} {m} minutos más.", (2, 3)),
    Phase((), "{incorpora} de nuevo lo reservado.", None, ("carne", "pescado", "proteina_veg")),
    Phase(("especia", "condimento"), "{anade} {X}, {remueve} bien y {cocina} {m} minutos más.", (1, 2)),
    Phase(("fruto_seco", "hierba"), "{reparte} {X} por encima.", None),
    Phase((), "{prueba} de sal y {sirve} enseguida."),
], [
    "El secreto del salteado es el fuego fuerte y la sartén bien caliente; {no_remuevas} sin parar.",
    "{corta} todo en trozos de tamaño parecido para que se haga a la vez.",
    "{prepara} todo antes de encender el fuego: el salteado se hace en pocos minutos.",
])
_dish("ensalada", "una ensalada", "ensalada", "f", "crudo legumbre grano arroz", True, [
    Phase(("grano", "arroz", "tuberculo"), "{cuece} {X} en agua con sal durante {m} minutos, {escurre} y {deja} enfriar.", "cook"),
    Phase(("huevo",), "{cuece} {X} 10 minutos en agua, {enfria} en agua y hielo, {pela} y {corta} en cuartos.", None),
    Phase(("carne", "pescado", "proteina_veg"), "{marca} {X} en una sartén con unas gotas de aceite de oliva durante {m} minutos y {deja} templar.", (4, 6)),
    Phase(("pan",), "{tuesta} {X} en una sartén con un poco de aceite de oliva hasta que quede crujiente.", None),
    Phase(("crudo", "verdura", "aroma", "legumbre", "fruta", "fruta_cruda", "conserva"), "{coloca} en una fuente amplia {X}.", None),
    Phase(("condimento", "especia", "hierba"), "{prepara} una vinagreta con el aceite de oliva, el vinagre y la sal, y {anade} {Xp}.", None),
    Phase((), "{prepara} una vinagreta con el aceite de oliva, el vinagre y la sal.", None, ("~condimento", "~especia", "~hierba")),
    Phase(("queso", "fruto_seco"), "{reparte} por encima {X}.", None),
    Phase((), "{coloca} encima los huevos cocidos.", None, ("huevo",)),
    Phase((), "{alina} la ensalada justo antes de servir y {mezcla} con suavidad."),
], [
    "hojas:{alina} siempre en el último momento para que las hojas no se ablanden.",
    "hojas:{seca} bien las hojas después de lavarlas: la vinagreta se agarra mejor.",
    "Una ensalada completa pide algo crujiente, algo jugoso y algo de proteína.",
    "Si se prepara con antelación, {guarda} la vinagreta aparte hasta servir.",
])
_dish("sopa", "una sopa", "sopa", "f", "verdura tuberculo legumbre carne pescado pasta", False, [
    Phase((), "{calienta} el aceite de oliva en una olla a fuego medio."),
    Phase(("aroma",), "{rehoga} {Xp} a fuego suave durante {m} minutos.", (5, 8)),
    Phase(("carne",), "{anade} {X} y {dora} {m} minutos.", (4, 6)),
    Phase(("verdura", "tuberculo"), "{incorpora} {X} y {rehoga} {m} minutos.", (3, 5)),
    Phase(("especia", "liquido", "leche"), "{anade} {X} y {remueve} un minuto.", None),
    Phase((), "{cubre} con el caldo de verduras, {sazona} con sal y pimienta negra y {cuece} a fuego medio durante {m} minutos.", "cook"),
    Phase(("pasta", "legumbre", "pescado"), "{anade} {X} y {cuece} {m} minutos más.", (6, 9)),
    Phase(("pan",), "{tuesta} {X} en una sartén con un poco de aceite de oliva.", None),
    Phase(("hierba", "queso"), "{sirve} la sopa bien caliente con {Xp} por encima.", None),
    Phase((), "{sirve} la sopa bien caliente.", None, ("~hierba", "~queso")),
], [
    "Si la sopa queda muy espesa, {anade} un poco más de caldo caliente.",
    "{prepara} el doble y {guarda} una parte en la nevera: aguanta bien tres días.",
    "{prueba} de sal al final, cuando el caldo ya ha reducido.",
])
_dish("crema", "una crema", "crema", "f", "verdura tuberculo", False, [
    Phase((), "{calienta} el aceite de oliva en una olla a fuego medio."),
    Phase(("aroma",), "{rehoga} {Xp} a fuego suave durante {m} minutos.", (5, 8)),
    Phase(("verdura", "tuberculo", "legumbre"), "{anade} {X} y {rehoga} {m} minutos.", (4, 6)),
    Phase(("especia",), "{incorpora} {X} y {remueve} unos segundos.", None),
    Phase((), "{cubre} con el caldo de verduras, {sazona} con sal y {cuece} durante {m} minutos, hasta que todo esté tierno.", "cook"),
    Phase(("liquido", "leche"), "{anade} {X} y {cuece} {m} minutos más.", (2, 3)),
    Phase((), "{tritura} con la batidora hasta obtener una crema fina y {rectifica} de sal."),
    Phase(("pan",), "{tuesta} {X} en una sartén con un poco de aceite de oliva.", None),
    Phase(("hierba", "queso", "fruto_seco"), "{sirve} con {Xp} por encima y un hilo de aceite de oliva.", None),
    Phase((), "{sirve} con un hilo de aceite de oliva.", None, ("~hierba", "~queso", "~fruto_seco")),
], [
    "Si la crema queda espesa, {anade} un poco de caldo caliente; si queda líquida, {cuece} unos minutos más.",
    "{tritura} bastante tiempo: cuanto más se tritura, más fina queda.",
    "Esta crema se congela muy bien en raciones.",
])
_dish("tortilla", "una tortilla", "tortilla", "f", "huevo", True, [
    Phase(("tuberculo", "aroma", "verdura"), "{pocha} {Xp} en una sartén con aceite de oliva a fuego suave durante {m} minutos y {escurre} el aceite sobrante.", "cook"),
    Phase(("carne",), "{saltea} {X} en una sartén con unas gotas de aceite de oliva durante {m} minutos.", (2, 3)),
    Phase(("huevo",), "{bate} {X} en un bol grande con la sal.", None),
    Phase(("queso", "hierba"), "{incorpora} al huevo batido {Xp}.", None),
    Phase((), "{mezcla} el contenido de la sartén con el huevo batido y {deja} reposar 2 minutos.", None, ("tuberculo", "aroma", "verdura", "carne")),
    Phase((), "{cuaja} la tortilla en una sartén con unas gotas de aceite de oliva, {m} minutos por cada lado, dándole la vuelta con un plato.", (2, 3)),
    Phase((), "{sirve} caliente o a temperatura ambiente."),
], [
    "Para que quede jugosa, {cuaja} la tortilla poco tiempo y a fuego medio.",
    "{usa} una sartén antiadherente del tamaño justo para que la tortilla quede alta.",
    "{deja} reposar la mezcla unos minutos antes de cuajar: la tortilla queda más jugosa.",
])
_dish("revuelto", "un revuelto", "revuelto", "m", "huevo", True, [
    Phase(("huevo",), "{bate} ligeramente {X} con la sal y la pimienta negra.", None),
    Phase((), "{calienta} el aceite de oliva en una sartén a fuego medio."),
    Phase(("aroma",), "{sofrie} {Xp} durante {m} minutos.", (3, 5)),
    Phase(("carne", "pescado", "verdura"), "{anade} {X} y {saltea} {m} minutos.", (3, 5)),
    Phase((), "{baja} el fuego, {vierte} el huevo batido y {remueve} sin parar {m} minutos, hasta que cuaje pero quede jugoso.", (2, 3)),
    Phase(("queso", "hierba"), "{retira} del fuego y {anade} {Xp}.", None),
    Phase((), "{sirve} enseguida."),
], [
    "{retira} el revuelto del fuego un poco antes de que parezca hecho: el calor residual lo termina.",
    "El fuego suave es la clave de un revuelto cremoso.",
])
_dish("arroz", "un arroz", "arroz", "m", "arroz", False, [
    Phase((), "{calienta} el aceite de oliva en una cazuela ancha a fuego medio."),
    Phase(("carne", "proteina_veg"), "{dora} {X} durante {m} minutos y {salpimienta}.", (5, 7)),
    Phase(("aroma",), "{anade} {Xp} y {sofrie} {m} minutos.", (4, 6)),
    Phase(("verdura",), "{incorpora} {X} y {rehoga} {m} minutos.", (3, 5)),
    Phase(("especia",), "{incorpora} {X} y {remueve} unos segundos.", None),
    Phase(("liquido", "leche"), "{vierte} {X} y {deja} que reduzca {m} minutos.", (2, 3)),
    Phase(("arroz",), "{anade} {X} y {remueve} un minuto para que se impregne del sofrito.", None),
    Phase((), "{vierte} el caldo de verduras caliente, {sazona} con sal y {cuece} a fuego medio durante {m} minutos sin remover.", "cook"),
    Phase(("pescado", "legumbre"), "A mitad de cocción, {coloca} {X} por encima.", None),
    Phase(("hierba",), "{deja} reposar 5 minutos y {sirve} con {Xp} por encima.", None),
    Phase((), "{deja} reposar 5 minutos tapado con un paño y {sirve}.", None, ("~hierba",)),
], [
    "{no_remuevas} el arroz una vez añadido el caldo: así queda suelto.",
    "El caldo debe estar caliente al añadirlo para no cortar la cocción.",
    "{usa} una cazuela ancha: el grano se hace de forma más uniforme.",
])
_dish("pasta", "un plato de pasta", "pasta", "m", "pasta", True, [
    Phase((), "{pon} a hervir abundante agua con sal en una olla grande."),
    Phase((), "Mientras, {calienta} el aceite de oliva en una sartén a fuego medio."),
    Phase(("carne", "pescado", "proteina_veg"), "{saltea} {X} durante {m} minutos y {salpimienta}.", (3, 5)),
    Phase(("aroma",), "{anade} {Xp} y {sofrie} {m} minutos.", (3, 4)),
    Phase(("verdura",), "{incorpora} {X} y {saltea} {m} minutos.", "cook"),
    Phase(("especia",), "{incorpora} {X} y {remueve} unos segundos.", None),
    Phase(("liquido", "conserva"), "{anade} {X} y {cocina} {m} minutos a fuego suave.", (4, 6)),
    Phase(("pasta",), "{cuece} {X} en el agua hirviendo durante {m} minutos, hasta que la pasta esté al dente, y {escurre} reservando un vaso de agua de cocción.", "cook"),
    Phase((), "{mezcla} la pasta con la salsa en la sartén, con un chorrito de agua de cocción si hace falta."),
    Phase(("queso", "hierba", "fruto_seco"), "{sirve} con {Xp} por encima.", None),
    Phase((), "{sirve} enseguida.", None, ("~queso", "~hierba", "~fruto_seco")),
], [
    "El agua de cocción tiene almidón: {usa} un poco para ligar la salsa.",
    "{no_cuezas} la pasta de más; termina de hacerse en la sartén con la salsa.",
    "{sirve} en platos calientes para que la pasta no se enfríe.",
])
_dish("al_horno", "una bandeja al horno", "bandeja al horno", "f", "carne pescado tuberculo verdura proteina_veg", False, [
    Phase((), "{precalienta} el horno a 200 °C."),
    Phase(("carne", "pescado", "proteina_veg"), "{salpimienta} {X}, {coloca} en una bandeja de horno, {riega} con el aceite de oliva y {hornea} {m} minutos.", "lead"),
    Phase(("tuberculo", "verdura", "aroma"), "{anade} {X} a la bandeja, {salpimienta} y {hornea} todo junto {m} minutos más.", "cook", ("carne", "pescado", "proteina_veg")),
    Phase(("tuberculo", "verdura", "aroma"), "{coloca} {X} en una bandeja de horno, {riega} con el aceite de oliva, {salpimienta} y {hornea} {m} minutos.", "cook", ("~carne", "~pescado", "~proteina_veg")),
    Phase(("especia", "hierba", "liquido"), "{anade} {Xp} a la bandeja y {hornea} {m} minutos más.", (5, 5)),
    Phase(("queso",), "{cubre} con {Xp} y {gratina} {m} minutos.", (3, 5)),
    Phase((), "{deja} reposar 5 minutos fuera del horno y {sirve}."),
], [
    "{riega} de vez en cuando con el jugo de la bandeja para que nada se seque.",
    "{usa} una bandeja amplia: si los ingredientes se amontonan, se cuecen en lugar de asarse.",
    "Cada horno es distinto; {prueba} el punto con un cuchillo antes de sacar la bandeja.",
])
_dish("a_la_plancha", "un plato a la plancha", "plato a la plancha", "m", "carne pescado proteina_veg verdura", True, [
    Phase((), "{calienta} una plancha o una sartén grande a fuego fuerte con unas gotas de aceite de oliva."),
    Phase(("verdura",), "{asa} {X} durante {m} minutos, dándoles la vuelta a media cocción.", (5, 7)),
    Phase(("carne", "pescado", "proteina_veg"), "{salpimienta} {X} y {cocina} a la plancha {m} minutos por cada lado.", "side"),
    Phase(("especia", "condimento", "hierba"), "{termina} con {Xp} por encima.", None),
    Phase((), "{sirve} enseguida, recién hecho."),
], [
    "La plancha tiene que estar muy caliente antes de poner nada encima.",
    "{no_remuevas} mientras se marca: así se forma una buena costra.",
    "{seca} bien las piezas con papel de cocina antes de salpimentar.",
])
_dish("postre", "un postre", "postre", "m", "fruta fruta_cruda lacteo chocolate", True, [
    Phase(("fruta",), "{cocina} {X} en un cazo con el azúcar a fuego suave durante {m} minutos, hasta obtener una compota ligera, y {deja} enfriar.", (5, 8)),
    Phase(("fruta_cruda",), "{mezcla} {X} en un bol con una cucharada de azúcar y {deja} macerar {m} minutos.", (10, 15)),
    Phase(("chocolate",), "{funde} {X} al baño maría, removiendo con una espátula.", None),
    Phase(("lacteo",), "{bate} {X} con una cucharada de azúcar hasta que quede una crema lisa.", None),
    Phase(("fruto_seco",), "{tuesta} {Xp} en una sartén sin aceite durante {m} minutos.", (2, 3)),
    Phase((), "{reparte} todo en copas o vasitos, alternando capas."),
    Phase(("dulce", "hierba"), "{decora} con {X}.", None),
    Phase((), "{sirve} enseguida o {guarda} en la nevera hasta el momento de servir."),
], [
    "Este postre se puede preparar unas horas antes y guardar en la nevera.",
    "{usa} copas transparentes: las capas lucen mucho.",
    "{prueba} la compota antes de montar y {rectifica} el dulzor.",
])
_dish("batido", "un batido", "batido", "m", "fruta fruta_cruda", True, [
    Phase(("fruta", "fruta_cruda"), "{pon} {X} en el vaso de la batidora.", None),
    Phase(("lacteo", "leche"), "{anade} {X}.", None),
    Phase(("dulce", "fruto_seco", "hierba"), "{incorpora} {X}.", None),
    Phase((), "{anade} un chorrito de agua fría y el azúcar."),
    Phase((), "{tritura} a máxima potencia durante un minuto, hasta que no queden grumos."),
    Phase((), "{sirve} enseguida, bien frío."),
], [
    "Con fruta congelada, el batido queda más espeso y fresquito.",
    "{prueba} antes de servir y {rectifica} el dulzor.",
])
DISH_TYPES = tuple(DISHES)
DISH_LABEL = {key: key.replace("_", " ") for key in DISHES}  # "al_horno" -> "al horno"
DISH_WEIGHTS = {"guiso": 10, "salteado": 10, "ensalada": 12, "sopa": 7, "crema": 8, "tortilla": 6, "revuelto": 5,
                "arroz": 8, "pasta": 10, "al_horno": 10, "a_la_plancha": 8, "postre": 8, "batido": 4}
