"""chef.catalogue"""

import re
from dataclasses import dataclass

from chef.dishes import ROLE_DISHES
from chef.spanish import strip_accents

# The diets a request can ask for: the dataset draws them (in this order), the evaluation checks
# recipes against each, the chat recognises them.
DIETS = ("vegetariano", "vegano", "sin gluten", "sin lactosa")


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
