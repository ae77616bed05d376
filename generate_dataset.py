"""Generate the Chef-Bot training set: Spanish cooking requests and their recipes.

Each line of the output is one JSON object (UTF-8, not ASCII-escaped) with the fields
`instruction`, `response`, `ingredients` (the catalogue names the recipe uses as main
ingredients), `aliases`, `dish_name`, `dish_type`, `style`, `diet`, `servings` and
`time_minutes`. Every recipe is built from a catalogue of ingredients that knows each
one's gender and number, units, techniques and diet flags, so the Spanish agrees and
the constraints asked for are obeyed. The output is byte-identical for a given seed.

Cooks do not type catalogue names only. About 22 % of the requests name some ingredients
by a word of their own ("tengo pollo, arroz y pimiento"): `aliases` maps each such catalogue
name to that word ({"pechuga de pollo": "pollo"}; {} otherwise), and the recipe writes the
catalogue name. About 5 % ask for a dish by name ("¿cómo se hace una paella?"): `dish_name`
holds it (null otherwise). ALIASES, DISH_NAMES and resolve_name() are the tables and the
look-up the chat and the evaluation import.

Usage:
    python generate_dataset.py                      # 5000 examples, seed 42 -> recetas_extended.jsonl
    python generate_dataset.py --num 200 --seed 7 --output /tmp/muestra.jsonl
    python generate_dataset.py --help
"""

import functools
import json
import random
import re
import statistics
import time
from dataclasses import dataclass, field

from chef_common import DATA_FILE, DIETS, ChefError, atomic_write_text, check_flag, check_writable, make_parser, run_main

DEFAULT_NUM = 5000  # examples written by a plain run (the committed file)
DEFAULT_SEED = 42  # seed of the committed file; evaluation uses another one
MAX_NUM = 20000  # beyond this, unique instruction/combination draws get too slow
MAX_ATTEMPTS_PER_EXAMPLE = 40  # draws allowed per example before giving up

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
ENDINGS = {("m", "sg"): "o", ("f", "sg"): "a", ("m", "pl"): "os", ("f", "pl"): "as"}

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


# ---------------------------------------------------------------------------
# The ingredient catalogue
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ingredient:
    name: str  # canonical name, as written in recipes
    category: str
    gender: str  # 'm' / 'f'
    number: str  # 'sg' / 'pl'
    role: str  # what it does in a dish (see ROLE_DISHES)
    unit: str  # g, ml, ud (countable), diente, cucharada, cucharadita, pizca, rama, hoja, una
    per_person: float  # amount of `unit` per serving
    grams_per_unit: int  # for countables, to switch to grams for large amounts
    techniques: tuple  # dish types it fits
    prep: tuple  # verb keys of its preparation, e.g. ("pela", "corta")
    prep_tail: str  # " en dados"
    note: str  # participle stem always written after it in the list ("cocid" -> garbanzos cocidos)
    cook: int  # minutes it needs to cook through
    meat: bool = False
    fish: bool = False
    animal: bool = False
    dairy: bool = False
    gluten: bool = False
    pantry: bool = False

    @property
    def key(self):
        return (self.gender, self.number)


# name | gender+number | category | role | unit:amount[/g per unit] | prep[|tail] | flags | cook | techniques
# flags: M meat, F fish, H other animal product, D dairy, G gluten, P pantry basic
# techniques: empty = the role's defaults, "=a b" = exactly these, "+a -b" = defaults adjusted
_CATALOGUE = """
pechuga de pollo|f|carnes|carne|g:150|corta| en dados|M|20|+ensalada +sopa
muslos de pollo|mp|carnes|carne|g:200|limpia||M|35|=guiso al_horno arroz a_la_plancha
carne picada de ternera|f|carnes|carne|g:120|||M|20|=guiso pasta al_horno
ternera|f|carnes|carne|g:150|corta| en dados|M|60|=guiso salteado al_horno arroz
filetes de ternera|mp|carnes|carne|g:150|||M|3|=a_la_plancha salteado
lomo de cerdo|m|carnes|carne|g:150|corta| en filetes|M|4|+sopa
costillas de cerdo|fp|carnes|carne|g:250|corta| en trozos|M|45|=guiso al_horno arroz
solomillo de cerdo|m|carnes|carne|g:150|corta| en medallones|M|4|
chorizo|m|carnes|carne|g:40|corta| en rodajas|M|20|=guiso arroz revuelto tortilla pasta sopa
jamón serrano|m|carnes|carne|g:30|corta| en taquitos|M|2|=revuelto tortilla pasta sopa salteado ensalada
bacon|m|carnes|carne|g:40|corta| en tiras|M|3|=pasta revuelto tortilla salteado arroz
pechuga de pavo|f|carnes|carne|g:150|corta| en tiras|M|4|
cordero|m|carnes|carne|g:200|corta| en trozos|M|60|=guiso al_horno
conejo|m|carnes|carne|g:200|corta| en trozos|M|40|=guiso arroz al_horno
salchichas|fp|carnes|carne|g:100|corta| en rodajas|M|15|=guiso pasta al_horno revuelto
secreto ibérico|m|carnes|carne|g:150|corta| en tiras|M|4|=a_la_plancha salteado arroz
alitas de pollo|fp|carnes|carne|g:200|limpia||M|35|=al_horno guiso
panceta|f|carnes|carne|g:50|corta| en tiras|M|15|=guiso pasta revuelto tortilla arroz salteado sopa
morcilla|f|carnes|carne|g:60|corta| en rodajas|M|15|=revuelto arroz guiso
merluza|f|pescados y mariscos|pescado|g:150|corta| en trozos|F|8|
salmón|m|pescados y mariscos|pescado|g:150|corta| en tacos|F|10|+pasta -sopa
bacalao|m|pescados y mariscos|pescado|g:150|corta| en trozos|F|10|+revuelto
atún fresco|m|pescados y mariscos|pescado|g:150|corta| en tacos|F|3|+salteado -sopa
gambas|fp|pescados y mariscos|pescado|g:100|pela||F|3|+pasta +revuelto +salteado
langostinos|mp|pescados y mariscos|pescado|g:100|pela||F|3|+pasta +salteado
mejillones|mp|pescados y mariscos|pescado|g:250|limpia||F|5|=guiso arroz sopa
calamares|mp|pescados y mariscos|pescado|g:150|corta| en anillas|F|3|=guiso arroz a_la_plancha salteado
sepia|f|pescados y mariscos|pescado|g:150|corta| en dados|F|4|=guiso arroz a_la_plancha
dorada|f|pescados y mariscos|pescado|g:250|limpia||F|20|=al_horno a_la_plancha
lubina|f|pescados y mariscos|pescado|g:250|limpia||F|20|=al_horno a_la_plancha
sardinas|fp|pescados y mariscos|pescado|g:150|limpia||F|3|=a_la_plancha al_horno
pulpo cocido|m|pescados y mariscos|pescado|g:150|corta| en rodajas|F|3|=a_la_plancha arroz guiso
rape|m|pescados y mariscos|pescado|g:150|corta| en trozos|F|8|=guiso arroz sopa al_horno
almejas|fp|pescados y mariscos|pescado|g:125|lava||F|5|=arroz guiso sopa
emperador|m|pescados y mariscos|pescado|g:150|corta| en tacos|F|4|=a_la_plancha al_horno salteado
bonito|m|pescados y mariscos|pescado|g:150|corta| en tacos|F|8|=guiso a_la_plancha al_horno
atún en lata|m|conservas|conserva|g:40|escurre||F|0|
aceitunas negras|fp|conservas|conserva|g:20|||||
alcaparras|fp|conservas|conserva|g:8|escurre||||
pimientos del piquillo|mp|conservas|conserva|g:40|corta| en tiras|||
anchoas|fp|conservas|conserva|g:10|escurre||F|0|
tomates secos|mp|conservas|conserva|g:15|pica||||
maíz dulce|m|conservas|verdura|g:40|escurre|||3|=ensalada salteado arroz sopa
pimiento rojo|m|verduras y hortalizas|verdura|ud:0.25/200|corta| en tiras||10|+ensalada
pimiento verde|m|verduras y hortalizas|verdura|ud:0.25/150|corta| en tiras||8|+ensalada
calabacín|m|verduras y hortalizas|verdura|ud:0.3/250|corta| en dados||8|
berenjena|f|verduras y hortalizas|verdura|ud:0.3/300|corta| en dados||12|-sopa -revuelto
zanahoria|f|verduras y hortalizas|verdura|ud:0.5/80|pela corta| en rodajas||15|+ensalada -a_la_plancha -revuelto
champiñones|mp|setas|verdura|g:100|limpia lamina|||6|
setas variadas|fp|setas|verdura|g:100|limpia corta| en trozos||6|-crema
boletus|mp|setas|verdura|g:60|limpia lamina|||6|-a_la_plancha
judías verdes|fp|verduras y hortalizas|verdura|g:100|corta| en trozos||15|-a_la_plancha -revuelto
brócoli|m|verduras y hortalizas|verdura|g:125|corta| en ramilletes||10|-a_la_plancha -revuelto -tortilla
coliflor|f|verduras y hortalizas|verdura|g:125|corta| en ramilletes||12|-a_la_plancha -revuelto -tortilla
calabaza|f|verduras y hortalizas|verdura|g:150|pela corta| en dados||20|-a_la_plancha -revuelto -tortilla -salteado
espárragos trigueros|mp|verduras y hortalizas|verdura|g:80|corta| en trozos||6|
guisantes|mp|verduras y hortalizas|verdura|g:60|||8|-a_la_plancha -al_horno
alcachofas|fp|verduras y hortalizas|verdura|g:150|limpia corta| en cuartos||20|-revuelto -salteado
espinacas|fp|verduras y hortalizas|verdura|g:80|lava||3|+ensalada -a_la_plancha -al_horno
tomate|m|verduras y hortalizas|verdura|ud:0.5/150|corta| en dados||10|+ensalada
puerro|m|verduras y hortalizas|aroma|ud:0.25/150|limpia corta| en rodajas||10|
cebolla|f|verduras y hortalizas|aroma|ud:0.25/150|pica||10|+ensalada
cebolla morada|f|verduras y hortalizas|aroma|ud:0.25/150|corta| en juliana||10|+ensalada
ajo|m|verduras y hortalizas|aroma|diente:0.5|pica||2|
cebolleta|f|verduras y hortalizas|aroma|ud:0.25/100|pica||6|+ensalada
chalota|f|verduras y hortalizas|aroma|ud:0.3/40|pica||6|
apio|m|verduras y hortalizas|verdura|g:30|corta| en rodajas||12|+ensalada -a_la_plancha -tortilla -revuelto
col|f|verduras y hortalizas|verdura|g:100|corta| en juliana||15|=guiso sopa salteado
lombarda|f|verduras y hortalizas|verdura|g:100|corta| en juliana||20|=guiso salteado ensalada
hinojo|m|verduras y hortalizas|verdura|g:60|lamina||15|=ensalada al_horno salteado crema
nabo|m|verduras y hortalizas|verdura|g:60|pela corta| en dados||20|=guiso sopa crema
remolacha cocida|f|verduras y hortalizas|verdura|g:80|corta| en dados||0|=ensalada crema
pepino|m|verduras y hortalizas|crudo|ud:0.25/250|pela corta| en rodajas||0|
lechuga|f|verduras y hortalizas|crudo|ud:0.25/400|lava corta| en trozos||0|
rúcula|f|verduras y hortalizas|crudo|g:25|lava||0|
canónigos|mp|verduras y hortalizas|crudo|g:25|lava||0|
tomates cherry|mp|verduras y hortalizas|verdura|g:80|corta| por la mitad||8|=ensalada pasta al_horno salteado
aguacate|m|verduras y hortalizas|crudo|ud:0.25/200|pela corta| en dados||0|
rabanitos|mp|verduras y hortalizas|crudo|g:30|lamina||0|
escarola|f|verduras y hortalizas|crudo|g:50|lava corta| en trozos||0|
endivias|fp|verduras y hortalizas|crudo|g:60|corta| en juliana||0|
jengibre|m|especias|especia|g:4|pela ralla||2|=salteado guiso sopa crema arroz
guindilla|f|especias|especia|una:1|pica||2|=guiso salteado pasta arroz sopa
patata|f|tubérculos|tuberculo|ud:0.75/200|pela corta| en dados||20|+ensalada
boniato|m|tubérculos|tuberculo|ud:0.5/250|pela corta| en dados||25|=guiso sopa crema al_horno
garbanzos|mp|legumbres|legumbre|g:80|escurre|@cocid|8|
lentejas|fp|legumbres|legumbre|g:70|escurre|@cocid|8|
alubias blancas|fp|legumbres|legumbre|g:80|escurre|@cocid|8|
alubias rojas|fp|legumbres|legumbre|g:80|escurre|@cocid|8|
habas|fp|legumbres|legumbre|g:80|||10|
arroz redondo|m|cereales y pastas|arroz|g:80|||18|
arroz basmati|m|cereales y pastas|arroz|g:75|lava||12|+ensalada
arroz integral|m|cereales y pastas|arroz|g:75|||35|+ensalada
arroz bomba|m|cereales y pastas|arroz|g:80|||18|
espaguetis|mp|cereales y pastas|pasta|g:90||G|10|
macarrones|mp|cereales y pastas|pasta|g:90||G|11|
tallarines|mp|cereales y pastas|pasta|g:90||G|9|
fideos|mp|cereales y pastas|pasta|g:60||G|6|=pasta sopa
hélices|fp|cereales y pastas|pasta|g:90||G|10|
fideos de arroz|mp|cereales y pastas|pasta|g:70|||5|
ñoquis|mp|cereales y pastas|pasta|g:125||G|3|
quinoa|f|cereales y pastas|grano|g:60|lava||12|
cuscús|m|cereales y pastas|grano|g:60||G|5|
pan|m|cereales y pastas|pan|g:30|corta| en dados|G|0|
galletas|fp|cereales y pastas|dulce|g:20||G|0|=postre
copos de avena|mp|cereales y pastas|dulce|g:30||G|0|=postre batido
huevos|mp|huevos y lácteos|huevo|ud:1.5/60||H|0|
leche|f|huevos y lácteos|leche|ml:200||D|0|
nata para cocinar|f|huevos y lácteos|liquido|ml:50||D|0|=pasta crema al_horno
nata para montar|f|huevos y lácteos|lacteo|ml:50||D|0|
yogur natural|m|huevos y lácteos|lacteo|g:125||D|0|
yogur griego|m|huevos y lácteos|lacteo|g:100||D|0|
queso crema|m|huevos y lácteos|lacteo|g:60||D|0|
mascarpone|m|huevos y lácteos|lacteo|g:60||D|0|=postre
requesón|m|huevos y lácteos|lacteo|g:60||D|0|=postre
queso rallado|m|huevos y lácteos|queso|g:20||D|0|+crema +sopa
queso fresco|m|huevos y lácteos|queso|g:60|corta| en dados|D|0|=ensalada tortilla
mozzarella|f|huevos y lácteos|queso|g:60|corta| en dados|D|0|=ensalada al_horno pasta
parmesano|m|huevos y lácteos|queso|g:20|ralla|D|0|=pasta ensalada al_horno crema sopa
queso feta|m|huevos y lácteos|queso|g:40|desmenuza|D|0|=ensalada al_horno
queso de cabra|m|huevos y lácteos|queso|g:40|corta| en rodajas|D|0|=ensalada al_horno revuelto
queso curado|m|huevos y lácteos|queso|g:30|ralla|D|0|=ensalada tortilla pasta
leche de coco|f|bebidas vegetales|leche|ml:100|||0|=guiso crema batido sopa arroz
bebida de avena|f|bebidas vegetales|leche|ml:200||G|0|=batido crema
bebida de soja|f|bebidas vegetales|leche|ml:200|||0|=batido crema
bebida de almendras|f|bebidas vegetales|leche|ml:200|||0|=batido
yogur de soja|m|bebidas vegetales|lacteo|g:125|||0|
manzana|f|frutas|fruta|ud:0.5/180|pela corta| en dados||0|+ensalada
pera|f|frutas|fruta|ud:0.5/180|pela corta| en dados||0|+ensalada
plátano|m|frutas|fruta|ud:0.5/120|pela corta| en rodajas||0|
fresas|fp|frutas|fruta|g:100|lava corta| en cuartos||0|+ensalada
naranja|f|frutas|fruta_cruda|ud:0.5/200|pela corta| en gajos||0|+ensalada
mango|m|frutas|fruta|ud:0.3/300|pela corta| en dados||0|+ensalada
piña|f|frutas|fruta|g:120|pela corta| en dados||0|+ensalada
melocotón|m|frutas|fruta|ud:0.5/150|pela corta| en dados||0|
kiwi|m|frutas|fruta_cruda|ud:0.5/80|pela corta| en rodajas||0|
arándanos|mp|frutas|fruta|g:40|lava||0|+ensalada
frambuesas|fp|frutas|fruta|g:40|||0|
uvas|fp|frutas|fruta_cruda|g:80|lava corta| por la mitad||0|+ensalada
higos|mp|frutas|fruta|g:80|corta| en cuartos||0|+ensalada
melón|m|frutas|fruta_cruda|g:150|pela corta| en dados||0|+ensalada
sandía|f|frutas|fruta_cruda|g:200|pela corta| en dados||0|
granada|f|frutas|fruta_cruda|ud:0.25/250|desgrana||0|=ensalada postre
limón|m|frutas|condimento|ud:0.25/120|exprime||0|
lima|f|frutas|condimento|ud:0.25/60|exprime||0|=ensalada salteado a_la_plancha
nueces|fp|frutos secos|fruto_seco|g:15|pica||0|+pasta +crema
almendras|fp|frutos secos|fruto_seco|g:15|pica||0|+crema
piñones|mp|frutos secos|fruto_seco|g:10|||0|+pasta
avellanas|fp|frutos secos|fruto_seco|g:15|pica||0|=postre ensalada
pistachos|mp|frutos secos|fruto_seco|g:15|pica||0|=postre ensalada
anacardos|mp|frutos secos|fruto_seco|g:20|||0|=salteado ensalada
cacahuetes|mp|frutos secos|fruto_seco|g:20|||0|=salteado ensalada
pipas de calabaza|fp|frutos secos|fruto_seco|g:10|||0|=ensalada crema
semillas de sésamo|fp|frutos secos|fruto_seco|g:5|||0|=salteado ensalada
coco rallado|m|frutos secos|dulce|g:10|||0|=postre batido
perejil|m|hierbas aromáticas|hierba|cucharada:0.5|pica||0|
cilantro|m|hierbas aromáticas|hierba|cucharada:0.5|pica||0|
albahaca|f|hierbas aromáticas|hierba|cucharada:0.5|pica||0|=pasta ensalada al_horno a_la_plancha tortilla revuelto crema
hierbabuena|f|hierbas aromáticas|hierba|cucharada:0.25|pica||0|=ensalada postre batido
menta|f|hierbas aromáticas|hierba|cucharada:0.25|pica||0|=ensalada postre batido
eneldo|m|hierbas aromáticas|hierba|cucharada:0.25|pica||0|=ensalada a_la_plancha al_horno
cebollino|m|hierbas aromáticas|hierba|cucharada:0.5|pica||0|=ensalada revuelto tortilla crema sopa
romero|m|hierbas aromáticas|especia|rama:0.25|||0|=guiso al_horno a_la_plancha sopa
tomillo|m|hierbas aromáticas|especia|rama:0.25|||0|=guiso al_horno a_la_plancha sopa crema
laurel|m|hierbas aromáticas|especia|hoja:0.25|||0|=guiso sopa arroz
orégano|m|especias|especia|cucharadita:0.25|||0|=pasta al_horno a_la_plancha ensalada salteado
pimentón dulce|m|especias|especia|cucharadita:0.25|||0|
pimentón picante|m|especias|especia|cucharadita:0.15|||0|
comino|m|especias|especia|cucharadita:0.15|||0|=guiso sopa crema arroz salteado al_horno
curry|m|especias|especia|cucharadita:0.25|||0|=guiso crema arroz salteado sopa
cúrcuma|f|especias|especia|cucharadita:0.15|||0|=guiso arroz crema sopa salteado
azafrán|m|especias|especia|pizca:1|||0|=arroz guiso sopa
nuez moscada|f|especias|especia|pizca:1|||0|=crema al_horno sopa
canela|f|especias|dulce|cucharadita:0.15|||0|
salsa de soja|f|salsas y condimentos|condimento|cucharada:0.5||G|0|=salteado a_la_plancha
mostaza|f|salsas y condimentos|condimento|cucharadita:0.25|||0|=ensalada a_la_plancha
vinagre balsámico|m|salsas y condimentos|condimento|cucharada:0.25|||0|=ensalada a_la_plancha
vino blanco|m|salsas y condimentos|liquido|ml:30|||0|=guiso arroz al_horno pasta
vino tinto|m|salsas y condimentos|liquido|ml:30|||0|=guiso al_horno
tomate triturado|m|salsas y condimentos|liquido|g:100|||0|
miel|f|dulces|dulce|cucharada:0.25||H|0|
chocolate negro|m|dulces|chocolate|g:25|||0|
chocolate con leche|m|dulces|chocolate|g:25||D|0|
cacao en polvo|m|dulces|dulce|cucharada:0.25|||0|
mermelada de fresa|f|dulces|dulce|cucharada:0.5|||0|=postre
sirope de agave|m|dulces|dulce|cucharada:0.25|||0|
esencia de vainilla|f|dulces|dulce|cucharadita:0.15|||0|
dátiles|mp|dulces|dulce|g:20|||0|
tofu|m|proteínas vegetales|proteina_veg|g:100|corta| en dados||6|+ensalada
tempeh|m|proteínas vegetales|proteina_veg|g:100|corta| en tiras||6|=salteado a_la_plancha guiso
seitán|m|proteínas vegetales|proteina_veg|g:100|corta| en tiras|G|6|=salteado a_la_plancha guiso
sal|f|básicos de despensa|básico|pizca:1|||0|=|P
pimienta negra|f|básicos de despensa|básico|pizca:1|||0|=|P
aceite de oliva|m|básicos de despensa|básico|cucharada:1|||0|=|P
agua|f|básicos de despensa|básico|ml:500|||0|=|P
azúcar|m|básicos de despensa|básico|cucharada:1|||0|=|P
vinagre|m|básicos de despensa|básico|cucharada:1|||0|=|P
caldo de verduras|m|básicos de despensa|básico|ml:250|||0|=|P
"""


def _techniques(role: str, spec: str) -> tuple:
    if spec.startswith("="):
        return tuple(spec[1:].split())
    techs = ROLE_DISHES.get(role, "").split()
    for item in spec.split():
        if item.startswith("+") and item[1:] not in techs:
            techs.append(item[1:])
        elif item.startswith("-") and item[1:] in techs:
            techs.remove(item[1:])
    return tuple(techs)


def _parse_catalogue(table: str) -> dict:
    catalogue = {}
    for line in table.strip().splitlines():
        fields = line.split("|")
        pantry = fields[-1] == "P"
        if pantry:
            fields.pop()
        if len(fields) == 9:  # row written without a prep tail
            fields.insert(6, "")
        name, gn, category, role, unit, prep, tail, flags, cook, techs = fields
        note = flags.split("@")[1] if "@" in flags else ""
        unit_kind, _, amount = unit.partition(":")
        per_person, _, grams = amount.partition("/")
        catalogue[name] = Ingredient(
            name=name, category=category, gender=gn[0], number="pl" if gn.endswith("p") else "sg", role=role,
            unit=unit_kind, per_person=float(per_person), grams_per_unit=int(grams or 0),
            techniques=() if pantry else _techniques(role, techs), prep=tuple(prep.split()), prep_tail=tail,
            note=note, cook=int(cook or 0), meat="M" in flags, fish="F" in flags,
            animal=any(f in flags.split("@")[0] for f in "MFHD"), dairy="D" in flags, gluten="G" in flags,
            pantry=pantry,
        )
    return catalogue


INGREDIENTS = _parse_catalogue(_CATALOGUE)
NON_PANTRY = [ing for ing in INGREDIENTS.values() if not ing.pantry]
PANTRY = [ing for ing in INGREDIENTS.values() if ing.pantry]
CATEGORIES = sorted({ing.category for ing in INGREDIENTS.values()})
SALPIMENTAR_RE = re.compile(r"\bsalpim", re.IGNORECASE)
PANTRY_RE = re.compile(r"(?<!\w)(" + "|".join(re.escape(p.name) for p in PANTRY) + r")(?!\w)", re.IGNORECASE)
# Names that contain a pantry name ("vinagre balsámico") are masked before looking for pantry basics.
MASK_RE = re.compile("|".join(sorted((re.escape(n) for n in INGREDIENTS if not INGREDIENTS[n].pantry
                                     and any(re.search(rf"(?<!\w){re.escape(p.name)}(?!\w)", n) for p in PANTRY)), key=len, reverse=True)),
                     re.IGNORECASE)


def violates(diet: str, ingredient_name: str) -> bool:
    """True when the ingredient is not allowed under the diet constraint."""
    ing = INGREDIENTS[ingredient_name]
    if diet == "vegetariano":
        return ing.meat or ing.fish
    if diet == "vegano":
        return ing.animal
    if diet == "sin lactosa":
        return ing.dairy
    if diet == "sin gluten":
        return ing.gluten
    raise ValueError(f"dieta desconocida: {diet}")


# ---------------------------------------------------------------------------
# Spanish helpers
# ---------------------------------------------------------------------------
DEFINITE = {("m", "sg"): "el", ("f", "sg"): "la", ("m", "pl"): "los", ("f", "pl"): "las"}
# Feminine nouns starting with a stressed a take "el"/"un" in the singular ("el agua").
STRESSED_A = ("agua",)
_Y_BEFORE_I = re.compile(r"\b([yY])(\s+)(?=[hH]?[iIíÍ](?![aeouáéóúAEOUÁÉÓÚ]))")
_O_BEFORE_O = re.compile(r"\b([oO])(\s+)(?=[hH]?[oOóÓ])")


def fix_conjunctions(text: str) -> str:
    """'y' -> 'e' before an i-/hi- sound (not hie-), 'o' -> 'u' before an o-/ho- sound."""
    text = _Y_BEFORE_I.sub(lambda m: ("e" if m.group(1) == "y" else "E") + m.group(2), text)
    return _O_BEFORE_O.sub(lambda m: ("u" if m.group(1) == "o" else "U") + m.group(2), text)


def fix_contractions(text: str) -> str:
    return re.sub(r"\b([aA]) el\b", r"\1l", re.sub(r"\b([dD])e el\b", r"\1el", text))


def agree(stem: str, ing: Ingredient) -> str:
    return stem + ENDINGS[ing.key]


def with_article(ing: Ingredient, participle: bool = False, juice: bool = False) -> str:
    text = f"{'el' if ing.name in STRESSED_A else DEFINITE[ing.key]} {ing.name}"
    if juice and ing.prep == ("exprime",):  # after squeezing, what goes in is the juice
        text = fix_contractions(f"el zumo de {text}")
    if participle and ing.prep and ing.role in ("aroma", "hierba", "queso", "fruto_seco"):
        text += " " + agree(PARTICIPLE_OF[ing.prep[-1]], ing)
    return text


def join(items: list) -> str:
    """'a', 'a y b', 'a, b y c' (the conjunction is fixed later by fix_conjunctions)."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " y " + items[-1]


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def strip_accents(text: str) -> str:
    return text.translate(str.maketrans("áéíóúÁÉÍÓÚ", "aeiouAEIOU")).replace("¿", "").replace("¡", "")


def format_number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}".replace(".", ",")


# ---------------------------------------------------------------------------
# Aliases and dish names: the words cooks type that the catalogue does not have
# ---------------------------------------------------------------------------
# One family per line: "alias, alias, ... = catalogue name, catalogue name, ...". An alias
# stands for any name of its family (a generic word such as "pollo" or "queso" stands for
# several); a catalogue name is never an alias, it is itself. A star marks the words cooks
# type all the time: the generator uses them most.
_ALIAS_TABLE = """
*pollo, pollos, carne de pollo = pechuga de pollo, muslos de pollo, alitas de pollo
pechugas de pollo, pechugas, filete de pollo, filetes de pollo = pechuga de pollo
pechuga = pechuga de pollo, pechuga de pavo
muslo de pollo, muslo, muslos, contramuslos, contramuslos de pollo, jamoncitos de pollo = muslos de pollo
alita, alitas, alita de pollo, alas de pollo = alitas de pollo
*carne picada, picada, picada de ternera, carne picada de vacuno, carne de hamburguesa = carne picada de ternera
carne de ternera, vacuno, carne de vacuno = ternera, filetes de ternera, carne picada de ternera
carne para guisar, carne de guisar, ternera para guisar, morcillo, aguja de ternera = ternera
filete de ternera, bistec, bistecs = filetes de ternera
*carne = ternera, filetes de ternera, carne picada de ternera, lomo de cerdo, solomillo de cerdo, costillas de cerdo, secreto ibérico, cordero
*cerdo, carne de cerdo = lomo de cerdo, solomillo de cerdo, costillas de cerdo, secreto ibérico
lomo, cinta de lomo, filetes de lomo, lomo fresco = lomo de cerdo
costillas, costilla, costilla de cerdo, costillar = costillas de cerdo
solomillo, solomillos = solomillo de cerdo
chorizos, chorizo dulce, chorizo picante, chorizo asturiano = chorizo
*jamón, taquitos de jamón, jamón ibérico = jamón serrano
beicon, bacón, bacon ahumado = bacon
pavo, pechugas de pavo, filetes de pavo = pechuga de pavo
carne de cordero, pierna de cordero, paletilla de cordero, chuletas de cordero = cordero
carne de conejo = conejo
salchicha, salchichas frescas = salchichas
secreto, secreto de cerdo = secreto ibérico
tocino, panceta fresca = panceta
morcillas, morcilla de burgos = morcilla
*pescado = merluza, bacalao, salmón, dorada, lubina, rape, bonito, emperador, atún fresco, sardinas
*pescado blanco = merluza, bacalao, dorada, lubina, rape
pescado azul = salmón, sardinas, bonito, emperador, atún fresco
*marisco, mariscos = gambas, langostinos, mejillones, almejas
merluzas, filetes de merluza, lomos de merluza, rodajas de merluza = merluza
salmones, lomos de salmón, filete de salmón, filetes de salmón = salmón
lomos de bacalao, bacalao fresco, bacalao desalado = bacalao
*atún = atún fresco, atún en lata
atún rojo, tacos de atún, lomo de atún = atún fresco
lata de atún, latas de atún, atún en conserva, atún en aceite, atún claro = atún en lata
gamba, gambas peladas = gambas
langostino, gambones = langostinos
mejillón = mejillones
calamar, anillas de calamar, chipirones = calamares
choco, chocos, sepias = sepia
doradas = dorada
lubinas = lubina
sardina = sardinas
pulpo, pata de pulpo = pulpo cocido
cola de rape = rape
almeja = almejas
pez espada = emperador
bonito del norte = bonito
anchoa = anchoas
*aceitunas, aceituna, aceituna negra, olivas = aceitunas negras
alcaparra = alcaparras
piquillos, pimiento del piquillo, pimientos de piquillo = pimientos del piquillo
tomate seco = tomates secos
maíz = maíz dulce
*pimiento, pimientos = pimiento rojo, pimiento verde
pimientos rojos, pimiento morrón = pimiento rojo
pimientos verdes, pimiento italiano = pimiento verde
calabacines = calabacín
berenjenas = berenjena
*zanahorias = zanahoria
champiñón, champis = champiñones
*setas, seta = setas variadas, champiñones, boletus
hongos = setas variadas, boletus
boletus edulis, boletos = boletus
judías = judías verdes, alubias blancas, alubias rojas
judía verde, vainas, judías planas = judías verdes
brécol = brócoli
coliflores = coliflor
calabazas, calabaza cacahuete = calabaza
espárragos, espárrago, espárragos verdes, trigueros = espárragos trigueros
guisante = guisantes
alcachofa = alcachofas
espinaca, espinacas frescas, hojas de espinaca = espinacas
*tomates, tomate maduro, tomates maduros, tomate pera = tomate
puerros = puerro
*cebollas = cebolla
cebolla roja, cebollas moradas = cebolla morada
ajos, diente de ajo, dientes de ajo = ajo
cebolletas, cebolla tierna = cebolleta
chalotas, chalote, chalotes = chalota
rama de apio = apio
repollo = col
col lombarda = lombarda
nabos = nabo
remolacha = remolacha cocida
pepinos = pepino
lechugas, lechuga romana, cogollos = lechuga
canónigo = canónigos
tomate cherry, cherrys, tomatitos = tomates cherry
aguacates = aguacate
rábanos, rabanito = rabanitos
endivia = endivias
jengibre fresco = jengibre
guindillas, cayena = guindilla
*patatas, papas = patata
boniatos, batata = boniato
garbanzo = garbanzos
lenteja, lentejas pardinas = lentejas
*alubias = alubias blancas, alubias rojas
alubia blanca, judías blancas, fabes = alubias blancas
alubia roja, judías rojas, judías pintas = alubias rojas
haba = habas
*legumbres = garbanzos, lentejas, alubias blancas, alubias rojas
*arroz = arroz redondo, arroz bomba, arroz basmati, arroz integral
arroz blanco = arroz redondo, arroz basmati
*pasta = espaguetis, macarrones, tallarines, hélices, fideos
espagueti, spaghetti = espaguetis
macarrón = macarrones
tallarín = tallarines
fideo, fideos finos = fideos
espirales, hélice = hélices
ñoqui, gnocchi = ñoquis
tallarines de arroz = fideos de arroz
quinua = quinoa
cus cus, couscous = cuscús
pan duro, pan del día anterior, barra de pan = pan
galleta = galletas
avena = copos de avena
*huevo = huevos
leche entera, leche semidesnatada, leche desnatada = leche
*nata, nata líquida = nata para cocinar, nata para montar
*yogur, yogures, yogurt = yogur natural, yogur griego, yogur de soja
yogures naturales = yogur natural
yogures griegos = yogur griego
queso de untar = queso crema
*queso, quesos = queso rallado, queso fresco, mozzarella, parmesano, queso feta, queso de cabra, queso curado
queso manchego = queso curado
queso de burgos = queso fresco
mozarela = mozzarella
queso parmesano = parmesano
feta = queso feta
rulo de cabra = queso de cabra
bebida vegetal, leche vegetal = bebida de avena, bebida de soja, bebida de almendras
leche de avena = bebida de avena
leche de soja = bebida de soja
leche de almendras = bebida de almendras
yogures de soja = yogur de soja
*manzanas = manzana
peras = pera
plátanos = plátano
fresa, fresones = fresas
naranjas = naranja
mangos = mango
melocotones = melocotón
kiwis = kiwi
arándano = arándanos
frambuesa = frambuesas
uva = uvas
higo = higos
melones = melón
granadas = granada
limones = limón
limas = lima
*fruta, frutas = manzana, pera, plátano, fresas, naranja, mango, piña, melocotón, kiwi
frutos rojos, frutos del bosque = fresas, arándanos, frambuesas
nuez = nueces
almendra = almendras
piñón = piñones
avellana = avellanas
pistacho = pistachos
anacardo = anacardos
cacahuete = cacahuetes
*frutos secos = nueces, almendras, avellanas, pistachos, anacardos, cacahuetes, piñones
pipas = pipas de calabaza
sésamo = semillas de sésamo
coco = coco rallado
perejil fresco = perejil
cilantro fresco = cilantro
albahaca fresca = albahaca
menta fresca = menta
romero fresco = romero
hoja de laurel, hojas de laurel = laurel
*pimentón, pimentón de la vera = pimentón dulce, pimentón picante
comino molido = comino
canela molida, canela en rama = canela
vino = vino blanco, vino tinto
tomate frito, salsa de tomate, tomate en lata = tomate triturado
*chocolate = chocolate negro, chocolate con leche
cacao = cacao en polvo
mermelada = mermelada de fresa
sirope = sirope de agave
vainilla = esencia de vainilla
dátil = dátiles
tempe = tempeh
tofu firme = tofu
sandías = sandía
hierbabuena fresca = hierbabuena
eneldo fresco = eneldo
tomillo fresco = tomillo
orégano seco = orégano
curri, curry en polvo = curry
hebras de azafrán = azafrán
salsa soja = salsa de soja
mostaza de dijon = mostaza
balsámico, vinagre de módena = vinagre balsámico
aceite, aceite de oliva virgen extra = aceite de oliva
pimienta = pimienta negra
caldo = caldo de verduras
"""

# One dish a line: "name, name | gender+number | dish type | groups". Groups are separated
# by ";"; a group lists alternatives with "/" (one of them is used) and ends in "?" when
# it is optional. Only dishes that the dish types above really cook are listed: gazpacho,
# salmorejo and arroz con leche are not (no dish type makes a cold soup or a sweet rice).
_DISH_TABLE = """
tortilla de patatas, tortilla española|f|tortilla|huevos; patata; cebolla?
tortilla de calabacín|f|tortilla|huevos; calabacín; cebolla?
tortilla francesa|f|tortilla|huevos; perejil?; cebollino?
revuelto de setas|m|revuelto|huevos; setas variadas/champiñones/boletus; ajo?; jamón serrano?; perejil?; cebolleta?
revuelto de gambas|m|revuelto|huevos; gambas; ajo?; espinacas?; cebolleta?; perejil?
paella, paella valenciana|f|arroz|arroz bomba/arroz redondo; pechuga de pollo/muslos de pollo; conejo?; judías verdes?; tomate?; pimiento rojo?; azafrán?; pimentón dulce?
paella de marisco|f|arroz|arroz bomba/arroz redondo; gambas/langostinos; mejillones/almejas/calamares/sepia?; pimiento rojo?; tomate?; ajo?; azafrán?
paella mixta|f|arroz|arroz bomba/arroz redondo; pechuga de pollo/muslos de pollo; gambas/langostinos/calamares/mejillones; pimiento rojo?; judías verdes?; tomate?; azafrán?
arroz con pollo|m|arroz|arroz redondo/arroz bomba; pechuga de pollo/muslos de pollo; pimiento rojo?; guisantes?; tomate?; cebolla?; ajo?; azafrán/pimentón dulce?
arroz con verduras|m|arroz|arroz redondo/arroz integral/arroz bomba; pimiento rojo/pimiento verde; calabacín/judías verdes/alcachofas; zanahoria?; guisantes?; tomate?; cebolla?; ajo?
lentejas con chorizo|fp|guiso|lentejas; chorizo; zanahoria?; patata?; cebolla?; ajo?; pimiento verde?; pimentón dulce?; laurel?
lentejas estofadas|fp|guiso|lentejas; zanahoria; patata?; cebolla?; ajo?; pimiento verde?; pimentón dulce?; laurel?; comino?
garbanzos con espinacas|mp|guiso|garbanzos; espinacas; ajo?; cebolla?; tomate?; comino?; pimentón dulce?
potaje de vigilia|m|guiso|garbanzos; bacalao; espinacas; cebolla?; ajo?; pimentón dulce?; laurel?
fabada, fabada asturiana|f|guiso|alubias blancas; chorizo; morcilla/panceta; cebolla?; ajo?; azafrán?; pimentón dulce?; laurel?
estofado de ternera, guiso de ternera|m|guiso|ternera; patata; zanahoria; cebolla?; ajo?; guisantes?; vino tinto?; laurel?; pimentón dulce?
judías verdes con patatas|fp|guiso|judías verdes; patata; cebolla?; ajo?; zanahoria?; pimentón dulce?
merluza en salsa verde|f|guiso|merluza; ajo; perejil; almejas?; guisantes?; vino blanco?; cebolla?
crema de calabaza|f|crema|calabaza; cebolla/puerro?; zanahoria?; patata?; nata para cocinar?; jengibre?; nuez moscada?; pipas de calabaza?
crema de calabacín|f|crema|calabacín; cebolla/puerro?; patata?; queso rallado?; nata para cocinar?
crema de verduras|f|crema|calabacín/calabaza; zanahoria; puerro?; patata?; cebolla?; judías verdes?; apio?
crema de champiñones|f|crema|champiñones; cebolla/puerro?; patata?; nata para cocinar?; ajo?
crema de puerros|f|crema|puerro; patata; cebolla?; nata para cocinar?; cebollino?
sopa de fideos|f|sopa|fideos; pechuga de pollo?; zanahoria?; puerro?; apio?; perejil?
sopa de ajo, sopa castellana|f|sopa|ajo; pan; jamón serrano; pimentón dulce?; perejil?
sopa de verduras|f|sopa|zanahoria; puerro/cebolla; calabacín/judías verdes; patata?; apio?; fideos?; guisantes?
ensalada mixta|f|ensalada|lechuga; tomate; cebolla/cebolla morada?; atún en lata?; huevos?; aceitunas negras?; zanahoria?; maíz dulce?
ensalada campera|f|ensalada|patata; tomate; pimiento verde?; cebolla?; huevos?; atún en lata?; aceitunas negras?
ensalada de garbanzos|f|ensalada|garbanzos; tomate; pimiento rojo/pimiento verde?; cebolla morada?; pepino?; atún en lata?; perejil?
ensalada de arroz|f|ensalada|arroz basmati/arroz integral; tomate; maíz dulce?; atún en lata?; pimiento rojo?; huevos?; aceitunas negras?
macarrones con tomate|mp|pasta|macarrones; tomate; tomate triturado?; cebolla?; ajo?; chorizo/carne picada de ternera?; queso rallado?; orégano?
espaguetis a la carbonara, espaguetis carbonara|mp|pasta|espaguetis; bacon/panceta; nata para cocinar; parmesano/queso rallado?; cebolla?; champiñones?
espaguetis a la boloñesa, espaguetis boloñesa|mp|pasta|espaguetis; carne picada de ternera; tomate triturado; cebolla?; zanahoria?; ajo?; orégano?; parmesano?
pollo al horno, pollo asado|m|al_horno|muslos de pollo/pechuga de pollo/alitas de pollo; patata?; cebolla?; ajo?; pimiento rojo?; romero/tomillo?; vino blanco?
patatas al horno, patatas asadas|fp|al_horno|patata; cebolla?; pimiento verde?; ajo?; romero?
dorada al horno|f|al_horno|dorada; patata?; cebolla?; ajo?; perejil?
lubina al horno|f|al_horno|lubina; patata?; cebolla?; ajo?; perejil?; vino blanco?
salmón al horno|m|al_horno|salmón; patata?; espárragos trigueros?; cebolla?; eneldo?
escalivada|f|al_horno|berenjena; pimiento rojo; cebolla; tomate?; ajo?
verduras al horno|fp|al_horno|calabacín/berenjena; pimiento rojo/pimiento verde; cebolla; zanahoria?; calabaza?; tomate?; champiñones?
salmón a la plancha|m|a_la_plancha|salmón; espárragos trigueros?; limón?; eneldo?
calamares a la plancha|mp|a_la_plancha|calamares; limón?; perejil?
sepia a la plancha|f|a_la_plancha|sepia; limón?; perejil?
sardinas a la plancha|fp|a_la_plancha|sardinas; limón?; perejil?; pimiento verde?
pollo a la plancha|m|a_la_plancha|pechuga de pollo; limón?; perejil?; orégano?; pimiento verde?
gambas al ajillo|fp|salteado|gambas; ajo; guindilla?; perejil?
champiñones al ajillo|mp|salteado|champiñones; ajo; perejil?; guindilla?; jamón serrano?
macedonia de frutas, macedonia|f|postre|naranja; kiwi; melón/sandía?; uvas?; granada?; menta/hierbabuena?
batido de plátano|m|batido|plátano; leche/bebida de avena/bebida de soja/bebida de almendras; canela?; miel?; copos de avena?; cacao en polvo?
batido de fresa|m|batido|fresas; leche/yogur natural/bebida de soja; plátano?; miel?
"""


# Whole catalogue names inside a text, longest first ("pipas de calabaza" before "calabaza").
CATALOGUE_NAME_RE = re.compile(r"(?<!\w)(" + "|".join(re.escape(n) for n in sorted(INGREDIENTS, key=len, reverse=True))
                               + r")(?!\w)")


def _norm(text: str) -> str:
    """How names are compared: lower case, no accents, single spaces."""
    return " ".join(strip_accents(text.lower()).split())


def _check_names(names, where: str) -> None:
    unknown = [n for n in names if n not in INGREDIENTS]
    if unknown:
        raise ValueError(f"{where}: no están en el catálogo: {', '.join(unknown)}")


def _parse_aliases(table: str) -> tuple:
    """({alias: family}, the starred aliases)."""
    aliases, starred = {}, set()
    for line in table.strip().splitlines():
        left, _, right = line.partition(" = ")
        family = tuple(n.strip() for n in right.split(","))
        _check_names(family, line)
        for alias in (a.strip() for a in left.split(",")):
            if alias.startswith("*"):
                alias = alias[1:]
                starred.add(alias)
            if alias in INGREDIENTS or alias in aliases or alias != alias.lower():
                raise ValueError(f"alias repetido, en mayúsculas o del catálogo: {alias}")
            aliases[alias] = family
    return aliases, starred


# Hand-written aliases: the words the generator puts in requests.
WRITTEN_ALIASES, COMMON_ALIASES = _parse_aliases(_ALIAS_TABLE)
ALIASES = dict(WRITTEN_ALIASES)
# People often type without accents: "jamon serrano", "atun", "platanos".
for _name, _family in [(n, (n,)) for n in INGREDIENTS] + list(WRITTEN_ALIASES.items()):
    _bare = strip_accents(_name)
    if _bare != _name and _bare not in INGREDIENTS:
        if ALIASES.setdefault(_bare, _family) != _family:
            raise ValueError(f"«{_bare}» sin tildes es a la vez alias de dos familias")
_RESOLVE = {_norm(n): (n,) for n in INGREDIENTS}
_RESOLVE.update({_norm(a): f for a, f in ALIASES.items()})


def resolve_name(text: str) -> tuple:
    """The catalogue names one ingredient word or phrase stands for; () when unknown.

    resolve_name("Pollo") -> ("pechuga de pollo", "muslos de pollo", "alitas de pollo");
    resolve_name(" ATUN en lata") -> ("atún en lata",).
    """
    return _RESOLVE.get(_norm(text), ())


@dataclass(frozen=True)
class DishRecipe:
    """How the generator cooks a dish asked for by name."""

    name: str
    names: tuple  # every name of the dish ("paella", "paella valenciana")
    gender: str  # of the dish name, for articles in requests ("unas lentejas con chorizo")
    number: str
    dish: str  # key of DISHES
    core: tuple  # groups of alternatives, one of each is always used
    optional: tuple  # groups of alternatives, each used or not


def _parse_dishes(table: str) -> dict:
    recipes = {}
    for line in table.strip().splitlines():
        names, gn, dish, groups = line.split("|")
        core, optional = [], []
        for group in groups.split(";"):
            group = group.strip()
            alternatives = tuple(n.strip() for n in group.rstrip("?").split("/"))
            _check_names(alternatives, line)
            bad = [n for n in alternatives if dish not in INGREDIENTS[n].techniques]
            if bad:
                raise ValueError(f"{line}: {', '.join(bad)} no se cocina en {dish}")
            (optional if group.endswith("?") else core).append(alternatives)
        names = tuple(n.strip() for n in names.split(","))
        for name in names:
            # A catalogue name inside the dish name is in every recipe of it ("lentejas con chorizo").
            named = {m.group(0) for m in CATALOGUE_NAME_RE.finditer(name)}
            if not named <= {g[0] for g in core if len(g) == 1}:
                raise ValueError(f"{name}: el nombre dice {', '.join(sorted(named))} pero la receta no lo lleva siempre")
            recipes[name] = DishRecipe(name, names, gn[0], "pl" if gn.endswith("p") else "sg", dish,
                                       tuple(core), tuple(optional))
    return recipes


DISH_RECIPES = _parse_dishes(_DISH_TABLE)
# dish name -> (dish type, the catalogue ingredients the dish usually has)
DISH_NAMES = {name: (r.dish, tuple(n for group in r.core + r.optional for n in group))
              for name, r in DISH_RECIPES.items()}


# ---------------------------------------------------------------------------
# Quantities
# ---------------------------------------------------------------------------
UNIT_FORMS = {"diente": ("diente", "dientes"), "cucharada": ("cucharada", "cucharadas"),
              "cucharadita": ("cucharadita", "cucharaditas"), "pizca": ("pizca", "pizcas"),
              "rama": ("rama", "ramas"), "hoja": ("hoja", "hojas")}


def _round_grams(grams: float) -> int:
    step = 5 if grams < 50 else 10 if grams < 100 else 25 if grams < 1000 else 100
    return max(step, int(round(grams / step) * step))


def _mass(amount: float, small: str, big: str) -> str:
    value = _round_grams(amount)
    if value >= 1000:
        return f"{format_number(round(value / 1000, 1))} {big}"
    return f"{value} {small}"


def quantity_phrase(ing: Ingredient, amount: float) -> str:
    """'300 g de pechuga de pollo', '1 cebolla mediana', 'media cebolla', '2 dientes de ajo'."""
    if ing.unit == "g":
        return f"{_mass(amount, 'g', 'kg')} de {ing.name}" + (f" {agree(ing.note, ing)}" if ing.note else "")
    if ing.unit == "ml":
        return f"{_mass(amount, 'ml', 'l')} de {ing.name}"
    if ing.unit == "una":
        return f"1 {ing.name}"
    if ing.unit == "ud":
        if ing.number == "pl":  # huevos: whole numbers, at least two
            return f"{max(2, int(round(amount)))} {ing.name}"
        if amount <= 0.6:
            return f"{'media' if ing.gender == 'f' else 'medio'} {ing.name}"
        if amount <= 0.85:
            return f"1 {ing.name} {agree('pequeñ', ing)}"
        if amount <= 1.2:
            return f"1 {ing.name} {agree('median', ing)}"
        if amount <= 1.6:
            return f"1 {ing.name} grande"
        return f"{_round_grams(amount * ing.grams_per_unit)} g de {ing.name}"
    count = 1 if ing.unit == "pizca" else max(1, int(round(amount)))
    singular, plural = UNIT_FORMS[ing.unit]
    return f"{count} {singular if count == 1 else plural} de {ing.name}"


def ingredient_amount(ing: Ingredient, servings: int, n_requested: int, dish: str, n_proteins: int = 1) -> float:
    amount = ing.per_person * servings
    if ing.unit in ("g", "ml", "ud") and n_requested > 3 and ing.role not in ("huevo", "arroz", "pasta"):
        amount *= 0.75  # many ingredients share the plate
    if ing.role in PROTEIN_ROLES and n_proteins > 1:
        amount *= 0.6  # two proteins share the plate
    if dish == "crema" and ing.role in ("liquido", "leche"):
        amount *= 0.4  # just enough to make it creamy
    return amount


def pantry_amount(name: str, dish: str, servings: int, requested: list) -> str:
    roles = {ing.role for ing in requested}
    if name == "aceite de oliva":
        if dish == "tortilla" and "tuberculo" in roles:
            return "200 ml de aceite de oliva"
        if dish == "ensalada":
            return f"{3 + servings // 3} cucharadas de aceite de oliva"
        return f"{2 + servings // 3} cucharadas de aceite de oliva"
    if name == "caldo de verduras":
        per = 200 if dish == "arroz" else 250
        return f"{_mass(per * servings, 'ml', 'l')} de caldo de verduras"
    if name == "agua":
        return "2 l de agua" if dish in ("pasta", "ensalada") else "100 ml de agua"
    if name == "azúcar":
        count = 1 if dish == "batido" else 1 + (servings + 1) // 2
        unit = "cucharadita" if dish == "batido" else ("cucharada" if count == 1 else "cucharadas")
        return f"{count} {unit} de azúcar"
    if name == "vinagre":
        return f"{1 + servings // 3} cucharada{'s' if 1 + servings // 3 > 1 else ''} de vinagre"
    if name == "sal":
        return "1 cucharadita de sal" if dish in ("pasta", "ensalada", "guiso", "sopa", "crema", "arroz") else "1 pizca de sal"
    return f"1 pizca de {name}"


# ---------------------------------------------------------------------------
# Requests (instructions)
# ---------------------------------------------------------------------------
INSTRUCTION_TEMPLATES = [
    "{ings}{x}", "{Ings}{x}", "Tengo {ings}. ¿Qué puedo cocinar{x}?", "Tengo {ings}, ¿qué preparo{x}?",
    "¿Qué hago con {ings}{x}?", "¿Qué puedo hacer con {ings}{x}?", "¿Qué cocino con {ings}{x}?",
    "¿Qué receta me recomiendas con {ings}{x}?", "¿Me das una receta con {ings}{x}?", "¿Alguna idea con {ings}{x}?",
    "¿Se te ocurre algo con {ings}{x}?", "¿Qué plato puedo preparar con {ings}{x}?", "Dame una receta con {ings}{x}",
    "Dame una receta con {ings}{x}, por favor", "Dime una receta con {ings}{x}", "Quiero cocinar con {ings}{x}",
    "Quiero una receta con {ings}{x}", "Necesito una receta con {ings}{x}", "Busco una receta con {ings}{x}",
    "Propón una receta con {ings}{x}", "Hazme una receta con {ings}{x}", "Receta con {ings}{x}", "receta {ings}{x}",
    "Ingredientes: {ings}{x}", "ingredientes: {ings}. ¿Qué hago{x}?", "Solo tengo {ings}{x}. ¿Qué cocino?",
    "En la nevera tengo {ings}. ¿Qué hago{x}?", "Tengo en casa {ings}. ¿Qué me recomiendas{x}?",
    "Hola, tengo {ings}. ¿Qué puedo cocinar{x}?", "¡Hola! Tengo {ings}, ¿alguna receta{x}?",
    "Ayúdame a cocinar algo con {ings}{x}", "Idea para cenar con {ings}{x}", "¿Qué hago de cena con {ings}{x}?",
    "¿Qué como hoy? Tengo {ings}{x}", "Quiero aprovechar {ings}{x}", "¿Cómo puedo aprovechar {ings}{x}?",
    "Cocina algo con {ings}{x}", "Prepárame algo con {ings}{x}", "Sugiéreme un plato con {ings}{x}",
    "Receta fácil con {ings}{x}", "Algo rico con {ings}{x}, ¿qué me sugieres?", "Con {ings}, ¿qué puedo hacer{x}?",
    "Con {ings}{x}, ¿qué hago?", "{Ings}. ¿Qué cocino{x}?", "Tengo {ings} y no sé qué hacer{x}",
    "Tengo {q}, ¿qué preparo{x}?", "tengo {q}{x}", "En casa tengo {q}. ¿Qué cocino{x}?",
    "Con {q}, ¿qué receta me das{x}?", "Dispongo de {q}. ¿Qué puedo preparar{x}?",
    "Quiero hacer {dish} con {ings}{x}", "¿Cómo hago {dish} con {ings}{x}?", "Receta de {bare} con {ings}{x}",
    "Dame {dish} con {ings}{x}", "Me apetece {dish} con {ings}{x}", "Prepárame {dish} con {ings}{x}",
]
DIET_PHRASES = {"vegetariano": ("para vegetarianos", "sin carne ni pescado"),
                "vegano": ("para veganos", "sin productos animales"),
                "sin gluten": ("sin gluten", "para celíacos"),
                "sin lactosa": ("sin lactosa", "para intolerantes a la lactosa")}
QUICK_PHRASES = ("rápido", "en menos de 30 minutos", "en poco tiempo")


@dataclass
class Request:
    dish: Dish
    ingredients: list  # in the order the person wrote them
    diet: list
    servings: int
    servings_asked: bool
    quick: bool
    dish_asked: bool
    aliases: dict = field(default_factory=dict)  # catalogue name -> the word the cook typed for it
    dish_name: str = None  # set when the cook asked for a dish by name ("tortilla de patatas")
    extras: tuple = ()  # what the cook added to a named dish ("... con chorizo")


def constraint_text(req: Request, rng) -> str:
    parts = [rng.choice(DIET_PHRASES[d]) for d in req.diet]
    if req.quick:
        parts.append(rng.choice(QUICK_PHRASES))
    if req.dish_asked and req.dish.key in ("al_horno", "postre"):
        parts.append("al horno" if req.dish.key == "al_horno" else "de postre")
    if req.servings_asked:
        parts.append("para una persona" if req.servings == 1 else f"para {req.servings} personas")
    rng.shuffle(parts)
    return (" " + join(parts)) if parts else ""


def instruction_list(names: list, rng) -> str:
    style = rng.random()
    if style < 0.6 or len(names) == 1:
        return join(names)
    if style < 0.9:
        return ", ".join(names)
    return " + ".join(names) if len(names) < 5 else ", ".join(names)


def instruction_quantity(ing: Ingredient, amount: float, alias: str = None) -> str:
    if alias:  # the cook's own word: a weight or a volume reads well with any noun, a count may not
        return f"{_mass(amount, 'g', 'kg') if ing.unit == 'g' else _mass(amount, 'ml', 'l')} de {alias}" \
            if ing.unit in ("g", "ml") else alias
    if ing.unit in ("ud", "una") and ing.number == "sg":
        phrase = quantity_phrase(ing, amount)
        return re.sub(r"^1 (\S+(?: \S+)*?)( (?:pequeñ|median)[oa]| grande)?$",
                      lambda m: ("una " if ing.gender == "f" else "un ") + m.group(1), phrase)
    if ing.unit in ("g", "ml", "ud", "diente"):
        return quantity_phrase(ing, amount)
    return ing.name


def render_instruction(req: Request, amounts: dict, rng) -> str:
    dish_template = req.dish_asked and req.dish.key not in ("al_horno", "postre")
    pool = [t for t in INSTRUCTION_TEMPLATES if ("{dish}" in t or "{bare}" in t) == dish_template]
    template = rng.choice(pool)
    names = [req.aliases.get(ing.name, ing.name) for ing in req.ingredients]
    quantities = [instruction_quantity(ing, amounts[ing.name], req.aliases.get(ing.name)) for ing in req.ingredients]
    ings = instruction_list(names, rng)
    text = template.format(ings=ings, Ings=capitalize(ings), q=join(quantities), x=constraint_text(req, rng),
                           dish=req.dish.indef, bare=req.dish.bare)
    return typing_noise(fix_conjunctions(text), rng)


DISH_REQUEST_TEMPLATES = [
    "{name}{x}", "{Name}{x}", "Receta de {name}{x}", "receta {name}{x}", "Receta fácil de {name}{x}",
    "Quiero hacer {a}{x}", "Quiero preparar {a}{x}", "Me gustaría hacer {a}{x}", "Hoy quiero cocinar {a}{x}",
    "¿Cómo se hace {a}{x}?", "¿Cómo hago {a}{x}?", "¿Cómo preparo {a}{x}?", "¿Cómo se prepara {the}{x}?",
    "Hola, ¿cómo se hace {a}{x}?", "¿Me das la receta de {the}{x}?", "Dame la receta de {the}{x}",
    "Necesito la receta de {the}{x}", "Dime cómo hacer {a}{x}", "Enséñame a hacer {a}{x}",
    "Quiero aprender a hacer {a}{x}", "Me apetece {a}{x}", "Tengo ganas de {a}{x}", "Hazme {a}{x}",
    "Prepárame {a}{x}", "¿Qué necesito para hacer {a}{x}?",
]
INDEFINITE = {("m", "sg"): "un", ("f", "sg"): "una", ("m", "pl"): "unos", ("f", "pl"): "unas"}


def dish_request_name(req: Request) -> str:
    """'tortilla de patatas', 'tortilla de patatas con chorizo', 'lentejas con chorizo y calabaza'."""
    if not req.extras:
        return req.dish_name
    return f"{req.dish_name} {'y' if ' con ' in req.dish_name else 'con'} {join(i.name for i in req.extras)}"


def render_dish_instruction(req: Request, rng) -> str:
    recipe = DISH_RECIPES[req.dish_name]
    name = dish_request_name(req)
    key = (recipe.gender, recipe.number)
    text = rng.choice(DISH_REQUEST_TEMPLATES).format(
        name=name, Name=capitalize(name), a=f"{INDEFINITE[key]} {name}", the=f"{DEFINITE[key]} {name}",
        x=constraint_text(req, rng))
    return typing_noise(fix_conjunctions(fix_contractions(text)), rng)


def typing_noise(text: str, rng) -> str:
    """How people type: some requests in capitals, without accents, in lower case, with stray spaces."""
    roll = rng.random()
    if roll < 0.07:
        text = text.upper()
    elif roll < 0.15:
        text = strip_accents(text)
    elif roll < 0.20:
        text = text.lower()
    if rng.random() < 0.08:  # people type stray spaces
        words = text.split(" ")
        pos = rng.randrange(len(words))
        words[pos] = words[pos] + " "
        text = rng.choice(("", " ")) + " ".join(words) + rng.choice(("", " "))
    return text


# ---------------------------------------------------------------------------
# Recipes (responses)
# ---------------------------------------------------------------------------
STYLE_TEXT = {
    "casero": {"meta": "Para {n} · {t} minutos", "intro": "Con esto te sale {dish} muy {rico}.", "tip": "Consejo"},
    "formal": {"meta": "Raciones: {k} | Tiempo total: {t} minutos", "intro": "Le propongo {dish} {sencillo} y {sabroso}.",
               "tip": "Recomendación"},
    "esquema": {"meta": "{n} · {t} min", "intro": "", "tip": "Nota"},
    "cercano": {"meta": "Sale para {n} y se hace en {t} minutos.", "intro": "¡Vamos a preparar {dish} {riquisimo}!",
                "tip": "Truco"},
}
DIET_NOTE = {"vegetariano": "vegetariana", "vegano": "vegana", "sin gluten": "sin gluten", "sin lactosa": "sin lactosa"}


def verb_forms(style: str) -> dict:
    index = STYLE_INDEX[style]
    return {key: forms[index] for key, forms in VERBS.items()}


def phase_active(phase: Phase, present_roles: set) -> bool:
    for req in phase.requires:
        if req.startswith("~") and req[1:] in present_roles:
            return False
    positive = [r for r in phase.requires if not r.startswith("~")]
    return not positive or any(r in present_roles for r in positive)


def phase_minutes(phase: Phase, items: list, req: Request, rng) -> int:
    if phase.minutes == "lead":  # head start so that it finishes with the vegetables
        later = [ing.cook for ing in req.ingredients if ing.role in ("tuberculo", "verdura", "aroma")]
        lead = max(ing.cook for ing in items) - max(later + [0])
        return max(5 if later else 15, int(round(lead / 5)) * 5)
    if phase.minutes == "side":  # per side on the griddle, whatever its stewing time
        longest = max(ing.cook for ing in items)
        return max(2, min(5, longest // 4 if longest > 8 else longest))
    if phase.minutes == "cook":
        relevant = items or req.ingredients
        longest = max([ing.cook for ing in relevant] + [0])
        if not items and req.dish.key == "guiso":
            longest = max(longest, 20)
        if not items and req.dish.key in ("sopa", "crema"):
            longest = max(longest, 15)
        if not items and req.dish.key == "arroz":
            longest = max(longest, 18)
        return max(longest, 3)
    if phase.minutes:
        return rng.randint(*phase.minutes)
    return 0


def prep_step(req: Request, verbs: dict) -> str:
    """'Pica la cebolla y el ajo. Corta el pimiento rojo en tiras.' grouped by action."""
    groups = {}
    for ing in req.ingredients:
        if ing.prep:
            groups.setdefault((ing.prep, ing.prep_tail), []).append(ing)
    sentences = []
    for (prep, tail), items in groups.items():
        verb = " y ".join(verbs[v] for v in prep)
        sentences.append(capitalize(f"{verb} {join(with_article(i) for i in items)}{tail}."))
    return " ".join(sentences)


def build_steps(req: Request, verbs: dict, rng) -> tuple:
    present = {ing.role for ing in req.ingredients}
    steps, minutes, used = [], 0, set()
    first = prep_step(req, verbs)
    if first:
        steps.append(first)
    for phase in req.dish.phases:
        items = [ing for ing in req.ingredients if ing.role in phase.roles and ing.name not in used]
        if phase.roles and not items or not phase_active(phase, present):
            continue
        if not phase.roles and not phase_active(phase, present):
            continue
        m = phase_minutes(phase, items, req, rng)
        minutes += m
        used.update(ing.name for ing in items)
        text = phase.text.format(X=join(with_article(i, juice=True) for i in items),
                                 Xp=join(with_article(i, participle=True, juice=True) for i in items), m=m, **verbs)
        steps.append(capitalize(text.replace(" 1 minutos", " 1 minuto")))
    missing = [ing.name for ing in req.ingredients if ing.name not in used]
    if missing:
        raise AssertionError(f"{req.dish.key}: sin paso para {missing}")
    prep_minutes = min(15, 5 + 2 * sum(1 for ing in req.ingredients if ing.prep))
    total = prep_minutes + minutes
    return steps, int(-(-total // 5) * 5)


def shown_name(req: Request, ing: Ingredient) -> str:
    """The name a title gives an ingredient: the cook's word when it names no other ingredient."""
    alias = req.aliases.get(ing.name)
    if alias and set(CATALOGUE_NAME_RE.findall(alias)) <= {ing.name}:  # not "tomate cherry" for tomates cherry
        return alias
    return ing.name


def title(req: Request) -> str:
    if req.dish_name:
        return capitalize(dish_request_name(req))
    anchor = next(ing for ing in req.ingredients if ing.role in req.dish.anchors)
    others = [shown_name(req, i) for i in sorted(req.ingredients, key=_list_order)
              if i is not anchor and i.role not in SEASONING_ROLES][:2]
    key = req.dish.key
    if key in ("arroz", "pasta"):
        head = capitalize(shown_name(req, anchor))
        return f"{head} con {join(others)}" if others else f"{head} al estilo casero"
    if key == "al_horno":
        return f"{capitalize(shown_name(req, anchor))} al horno" + (f" con {join(others)}" if others else "")
    if key == "a_la_plancha":
        return f"{capitalize(shown_name(req, anchor))} a la plancha" + (f" con {join(others)}" if others else "")
    if key in ("tortilla", "revuelto") and not others:
        return "Tortilla francesa" if key == "tortilla" else "Huevos revueltos"
    head = {"postre": "Copa", "batido": "Batido"}.get(key, capitalize(req.dish.bare))
    ordered = sorted(req.ingredients, key=_list_order)
    main = ([shown_name(req, i) for i in ordered if i.role not in SEASONING_ROLES][:3]
            or [shown_name(req, i) for i in ordered][:3])
    return f"{head} de {join(main)}"


def intro_line(req: Request, style: str) -> str:
    template = STYLE_TEXT[style]["intro"]
    if not template:
        return ""
    d = req.dish
    adjectives = {"rico": "ric", "sencillo": "sencill", "sabroso": "sabros", "riquisimo": "riquísim"}
    ending = "o" if d.gender == "m" else "a"
    return template.format(dish=d.indef, **{k: v + ending for k, v in adjectives.items()})


LEAFY = ("lechuga", "rúcula", "canónigos", "escarola", "endivias", "espinacas")  # tips about leaves


def pick_tip(req: Request, rng) -> str:
    """A closing tip of the dish; tips written "role:text" only fit when that role is present."""
    present = {ing.role for ing in req.ingredients}
    if any(ing.name in LEAFY for ing in req.ingredients):
        present.add("hojas")
    tips = []
    for tip in req.dish.tips:
        role, sep, text = tip.partition(":")
        if sep and (role in ROLE_DISHES or role == "hojas"):
            if role in present:
                tips.append(text)
        else:
            tips.append(tip)
    return rng.choice(tips)


def render_response(req: Request, style: str, amounts: dict, rng) -> tuple:
    verbs = verb_forms(style)
    steps, total_minutes = build_steps(req, verbs, rng)
    tip = pick_tip(req, rng).format(**verbs)
    body = " ".join(steps) + " " + tip
    found = {m.lower() for m in PANTRY_RE.findall(MASK_RE.sub("#", body))}
    if SALPIMENTAR_RE.search(body):  # "salpimienta" uses both salt and pepper
        found.update(("sal", "pimienta negra"))
    pantry_used = [p for p in PANTRY if p.name in found]
    people = "1 persona" if req.servings == 1 else f"{req.servings} personas"
    if style == "esquema":
        people = "1 ración" if req.servings == 1 else f"{req.servings} raciones"
    lines = [title(req), STYLE_TEXT[style]["meta"].format(n=people, k=req.servings, t=total_minutes)]
    intro = intro_line(req, style)
    if req.diet:
        diet_note = "Receta " + join(DIET_NOTE[d] for d in req.diet) + "."
        intro = f"{intro} {diet_note}".strip()
    if intro:
        lines.append(intro)
    lines += ["", "Ingredientes:"]
    lines += [f"- {quantity_phrase(ing, amounts[ing.name])}" for ing in sorted(req.ingredients, key=_list_order)]
    lines += [f"- {pantry_amount(p.name, req.dish.key, req.servings, req.ingredients)}" for p in pantry_used]
    lines += ["", "Preparación:"]
    lines += [f"{i}. {step}" for i, step in enumerate(steps, 1)]
    lines += ["", f"{STYLE_TEXT[style]['tip']}: {capitalize(tip)}"]
    text = fix_conjunctions(fix_contractions("\n".join(lines)))
    return text, total_minutes


ROLE_ORDER = ["carne", "pescado", "proteina_veg", "arroz", "pasta", "grano", "legumbre", "huevo", "tuberculo",
              "verdura", "crudo", "aroma", "fruta", "fruta_cruda", "lacteo", "leche", "queso", "chocolate", "conserva", "liquido",
              "pan", "fruto_seco", "dulce", "especia", "condimento", "hierba"]


def _list_order(ing: Ingredient):
    """Main ingredients first in the list, seasonings last."""
    return (ROLE_ORDER.index(ing.role) if ing.role in ROLE_ORDER else 99, ing.name)


# ---------------------------------------------------------------------------
# Drawing one example
# ---------------------------------------------------------------------------
SIZE_WEIGHTS = {1: 4, 2: 12, 3: 20, 4: 22, 5: 16, 6: 12, 7: 8, 8: 6}
# About 22 % of the requests name some ingredients by a cook's word ("pollo", "patatas"):
ALIAS_RATE_COMMON = 0.13  # chance that an ingredient with a starred alias is named by an alias
ALIAS_RATE_OTHER = 0.02  # the same for any other ingredient that has aliases
MAX_ALIASES = 3  # per request
DISH_NAME_SHARE = 0.055  # requests that ask for a dish by name ("quiero hacer una paella")
DISH_OPTIONAL_SHARE = 0.6  # chance of each optional ingredient of a named dish
DISH_EXTRA_SHARE = 0.3  # named dishes the cook adds one ingredient to ("tortilla de patatas con chorizo")
EXTRA_ROLES = ("carne", "pescado", "proteina_veg", "verdura", "tuberculo", "legumbre", "queso", "crudo",
               "fruta", "fruta_cruda", "conserva", "fruto_seco")
COMPATIBLE_CACHE = {key: [ing for ing in NON_PANTRY if key in ing.techniques] for key in DISHES}


@functools.lru_cache(maxsize=None)
def _pool(dish_key: str, diet: tuple) -> list:
    return [ing for ing in COMPATIBLE_CACHE[dish_key] if _allowed(ing, diet)]


def _allowed(ing: Ingredient, diet: list) -> bool:
    return not any(violates(d, ing.name) for d in diet)


def _fits(ing: Ingredient, chosen: list) -> bool:
    same_role = sum(1 for c in chosen if c.role == ing.role)
    if same_role >= ROLE_LIMITS.get(ing.role, 4):
        return False
    proteins = [c for c in chosen if c.role in PROTEIN_ROLES]
    if {ing.role, *(c.role for c in chosen)} >= {"arroz", "grano"}:
        return False  # they cook in different times
    if ing.role in PROTEIN_ROLES:
        if len(proteins) >= 2:
            return False
        # tofu, tempeh and seitán stand in for meat; they do not go with it
        if any((c.role == "proteina_veg") != (ing.role == "proteina_veg") for c in proteins):
            return False
        # meat and fish together only in a rice (paella mixta)
        if any((c.meat and ing.fish) or (c.fish and ing.meat) for c in proteins):
            return False
    return True


def draw_request(rng) -> Request:
    diet = []
    roll = rng.random()
    if roll < 0.32:
        diet = [rng.choice(DIETS)]
        if rng.random() < 0.15:
            second = rng.choice(DIETS)
            if second not in diet and {second, diet[0]} != {"vegetariano", "vegano"}:
                diet.append(second)
        diet.sort(key=DIETS.index)
    quick = rng.random() < 0.08
    keys = [k for k in DISH_TYPES if not quick or DISHES[k].quick]
    dish = DISHES[rng.choices(keys, weights=[DISH_WEIGHTS[k] for k in keys])[0]]
    pool = _pool(dish.key, tuple(diet))
    anchors = [ing for ing in pool if ing.role in dish.anchors]
    if not anchors:
        return None
    size = rng.choices(list(SIZE_WEIGHTS), weights=list(SIZE_WEIGHTS.values()))[0]
    chosen = [rng.choice(anchors)]
    candidates = [ing for ing in pool if ing is not chosen[0]]
    rng.shuffle(candidates)
    for ing in candidates:
        if len(chosen) >= size:
            break
        if _fits(ing, chosen):
            chosen.append(ing)
    rng.shuffle(chosen)
    servings_asked = rng.random() < 0.25
    servings = rng.choice((1, 2, 2, 3, 4, 4, 5, 6)) if servings_asked else rng.choice((2, 4, 4))
    if dish.key == "batido":
        servings = min(servings, 4)
    dish_asked = rng.random() < 0.18
    aliases = pick_aliases(chosen, rng)
    return Request(dish, chosen, diet, servings, servings_asked, quick, dish_asked, aliases)


# For each catalogue name, the hand-written aliases that include it, weighted: a starred word
# 20, another generic word ("pechuga" for two cuts) 2, any other 1, so the words cooks use
# most ("pollo", "queso", "patatas") are the ones the model sees most.
ALIAS_OPTIONS = {}
for _alias, _family in WRITTEN_ALIASES.items():
    for _name in _family:
        _weight = 20 if _alias in COMMON_ALIASES else 2 if len(_family) > 1 else 1
        ALIAS_OPTIONS.setdefault(_name, []).append((_alias, _weight))


def pick_aliases(chosen: list, rng) -> dict:
    """{catalogue name: alias} for some of the chosen ingredients (most often none).

    An alias whose family holds another chosen ingredient is not used: "pollo" for the
    pechuga would also name the muslos asked for beside it.
    """
    names = {ing.name for ing in chosen}
    aliases = {}
    for ing in chosen:
        usable = [(a, w) for a, w in ALIAS_OPTIONS.get(ing.name, ())
                  if not (set(WRITTEN_ALIASES[a]) - {ing.name}) & names]
        if not usable or len(aliases) == MAX_ALIASES:
            continue
        common = any(a in COMMON_ALIASES for a, _ in usable)
        if rng.random() < (ALIAS_RATE_COMMON if common else ALIAS_RATE_OTHER):
            words, weights = zip(*usable)
            aliases[ing.name] = rng.choices(words, weights=weights)[0]
    return aliases


# Each dish is drawn as often as any other, whatever its number of names.
DISH_SYNONYMS = sorted({r.names for r in DISH_RECIPES.values()})


def draw_dish_request(rng) -> Request:
    """A dish asked for by name: its core ingredients, some of its optional ones, maybe one more."""
    recipe = DISH_RECIPES[rng.choice(rng.choice(DISH_SYNONYMS))]
    dish = DISHES[recipe.dish]
    diet = []
    if rng.random() < 0.2:
        possible = [d for d in DIETS if all(any(not violates(d, n) for n in group) for group in recipe.core)]
        if possible:
            diet = [rng.choice(possible)]
    chosen = []
    for group in recipe.core:  # hand-picked: a paella mixta has meat and seafood, which _fits keeps apart
        chosen.append(INGREDIENTS[rng.choice([n for n in group if _allowed(INGREDIENTS[n], diet)])])
    for group in recipe.optional:
        if rng.random() < DISH_OPTIONAL_SHARE and len(chosen) < max(SIZE_WEIGHTS):
            fitting = [INGREDIENTS[n] for n in group if _allowed(INGREDIENTS[n], diet) and _fits(INGREDIENTS[n], chosen)]
            if fitting:
                chosen.append(rng.choice(fitting))
    extras = ()
    if rng.random() < DISH_EXTRA_SHARE and len(chosen) < max(SIZE_WEIGHTS):
        usual = set(DISH_NAMES[recipe.name][1])
        has_protein = any(ing.role in PROTEIN_ROLES for ing in chosen)  # no "dorada al horno con bacalao"
        fitting = [ing for ing in _pool(dish.key, tuple(diet)) if ing.role in EXTRA_ROLES and ing.name not in usual
                   and not (has_protein and ing.role in PROTEIN_ROLES) and _fits(ing, chosen)]
        if fitting:
            extras = (rng.choice(fitting),)
            chosen.append(extras[0])
    servings_asked = rng.random() < 0.35
    servings = rng.choice((1, 2, 2, 3, 4, 4, 5, 6)) if servings_asked else rng.choice((2, 4, 4))
    if dish.key == "batido":
        servings = min(servings, 4)
    return Request(dish, chosen, diet, servings, servings_asked, False, False, {}, recipe.name, extras)


def make_example(rng):
    named = rng.random() < DISH_NAME_SHARE
    req = draw_dish_request(rng) if named else draw_request(rng)
    if req is None:
        return None
    style = rng.choice(STYLES)
    n = len(req.ingredients)
    proteins = sum(1 for ing in req.ingredients if ing.role in PROTEIN_ROLES)
    amounts = {ing.name: ingredient_amount(ing, req.servings, n, req.dish.key, proteins) for ing in req.ingredients}
    response, minutes = render_response(req, style, amounts, rng)
    if req.quick and minutes > 30:
        return None
    instruction = render_dish_instruction(req, rng) if named else render_instruction(req, amounts, rng)
    names = [ing.name for ing in req.ingredients]
    return {
        "instruction": instruction,
        "response": response,
        "ingredients": names,
        "aliases": {n: req.aliases[n] for n in names if n in req.aliases},
        "dish_name": req.dish_name,
        "dish_type": DISH_LABEL[req.dish.key],
        "style": style,
        "diet": list(req.diet),
        "servings": req.servings,
        "time_minutes": minutes,
    }


def generate_examples(num: int, seed: int) -> list:
    """`num` examples with unique instructions, responses and ingredient combinations.

    A dish asked for by name is its own request: "paella" may use the combination of a
    plain list request, but two requests for a paella never share one.
    """
    if not 1 <= num <= MAX_NUM:
        raise ChefError(f"--num debe estar entre 1 y {MAX_NUM} (no se pueden generar más ejemplos únicos)")
    rng = random.Random(seed)
    examples, instructions, responses, combos = [], set(), set(), set()
    attempts = 0
    while len(examples) < num:
        attempts += 1
        if attempts > num * MAX_ATTEMPTS_PER_EXAMPLE:
            raise ChefError(f"solo se pudieron generar {len(examples)} ejemplos únicos de {num}")
        example = make_example(rng)
        if example is None:
            continue
        combo = (example["dish_name"], frozenset(example["ingredients"]))
        key = example["instruction"].strip().lower()
        if key in instructions or example["response"] in responses or combo in combos:
            continue
        instructions.add(key)
        responses.add(example["response"])
        combos.add(combo)
        examples.append(example)
    return examples


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def parse_args(argv=None):
    parser = make_parser(
        "Genera el conjunto de datos de Chef-Bot: peticiones de cocina en español y sus recetas (JSONL).")
    parser.add_argument("--num", type=int, default=DEFAULT_NUM, metavar="N",
                        help=f"número de ejemplos que se escriben (de 1 a {MAX_NUM}; por defecto {DEFAULT_NUM})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="SEMILLA",
                        help=f"semilla aleatoria; la misma semilla da el mismo fichero (por defecto {DEFAULT_SEED})")
    parser.add_argument("--output", default=str(DATA_FILE), metavar="FICHERO",
                        help=f"fichero JSONL de salida (por defecto {DATA_FILE.name} en el repositorio)")
    return parser.parse_args(argv)


def summary(examples: list, seconds: float) -> str:
    used = {name for ex in examples for name in ex["ingredients"]}
    unused = sorted(ing.name for ing in NON_PANTRY if ing.name not in used)
    lengths = [len(ex["response"].split()) for ex in examples]
    dish_counts = {}
    for ex in examples:
        dish_counts[ex["dish_type"]] = dish_counts.get(ex["dish_type"], 0) + 1
    aliased = sum(1 for ex in examples if ex["aliases"])
    named = sum(1 for ex in examples if ex["dish_name"])
    sizes = {}
    for ex in examples:
        sizes[len(ex["ingredients"])] = sizes.get(len(ex["ingredients"]), 0) + 1
    lines = [
        f"ejemplos escritos: {len(examples)}",
        f"instrucciones únicas: {len({ex['instruction'] for ex in examples})}",
        f"respuestas únicas: {len({ex['response'] for ex in examples})}",
        f"ingredientes usados: {len(used & {i.name for i in NON_PANTRY})} de {len(NON_PANTRY)} "
        f"(+{len(PANTRY)} básicos de despensa)",
        f"ingredientes del catálogo sin usar: {', '.join(unused) if unused else 'ninguno'}",
        "tipos de plato: " + ", ".join(f"{k} {v}" for k, v in sorted(dish_counts.items())),
        f"peticiones con alias (\"pollo\", \"patatas\"): {aliased} ({100 * aliased / len(examples):.1f} %), "
        f"{sum(len(ex['aliases']) for ex in examples)} ingredientes con alias",
        f"peticiones por nombre de plato: {named} ({100 * named / len(examples):.1f} %), "
        f"{len({ex['dish_name'] for ex in examples} - {None})} platos distintos",
        "ingredientes por petición: " + ", ".join(f"{k}: {v}" for k, v in sorted(sizes.items())),
        f"longitud de la respuesta en palabras: media {statistics.mean(lengths):.0f}, máxima {max(lengths)}",
        f"segundos: {seconds:.2f}",
    ]
    return "\n".join(lines)


def main(argv=None) -> None:
    args = parse_args(argv)
    check_flag(1 <= args.num <= MAX_NUM, "--num", f"estar entre 1 y {MAX_NUM} (no se pueden generar más ejemplos únicos)")
    check_flag(bool(args.output.strip()), "--output", "ser la ruta de un fichero")
    check_writable(args.output)  # a bad path is said before the examples are drawn
    start = time.perf_counter()
    examples = generate_examples(args.num, args.seed)
    text = "".join(json.dumps(ex, ensure_ascii=False) + "\n" for ex in examples)
    atomic_write_text(args.output, text)
    print(f"escrito {args.output}")
    print(summary(examples, time.perf_counter() - start))


if __name__ == "__main__":
    run_main(main)
