"""The catalog as data: garment categories with typical sewing SAM, processes, fabrics and clusters.

Figures are industry rules of thumb (mid-range SAM per category; what each process adds per piece
and in outside days; fabric lead time when in stock nearby). Loaded by a data migration; users and
admins may edit them afterwards.
"""

# code, name, default SAM (minutes per piece, sewing)
CATEGORIES = [
    ("tshirt", "T-shirt", "10.00"),
    ("polo", "Polo shirt", "16.00"),
    ("leggings", "Leggings", "6.50"),
    ("underwear", "Underwear", "4.50"),
    ("hoodie", "Hoodie / sweatshirt", "18.00"),
    ("shirt", "Woven shirt / blouse", "22.00"),
    ("skirt", "Skirt", "13.00"),
    ("dress", "Dress", "25.00"),
    ("trousers", "Trousers", "22.00"),
    ("jeans", "Jeans", "18.00"),
    ("jacket", "Casual jacket", "60.00"),
    ("down_jacket", "Down jacket", "90.00"),
    ("suit_jacket", "Suit jacket", "115.00"),
    ("sweater", "Knit sweater", "35.00"),
    ("kids_set", "Children's wear set", "14.00"),
]

# code, name, added minutes per piece, added outside days
PROCESSES = [
    ("cutting", "Cutting", "1.00", 0),
    ("sewing", "Sewing", "0.00", 0),
    ("finishing", "Finishing & packing", "2.00", 0),
    ("printing", "Screen printing", "2.00", 1),
    ("digital_printing", "Digital printing", "3.50", 0),
    ("embroidery", "Embroidery", "4.00", 1),
    ("washing", "Garment washing", "3.00", 2),
    ("knitting", "Knitting", "0.00", 0),
]

# code, name, material lead days (in stock at a nearby market)
FABRICS = [
    ("woven", "Woven (cotton, poly blends)", 2),
    ("knit", "Knit jersey", 2),
    ("denim", "Denim", 3),
    ("fleece", "Fleece", 2),
    ("silk", "Silk / satin", 4),
    ("wool", "Wool", 5),
    ("chiffon", "Chiffon", 3),
    ("yarn", "Yarn (for knitwear)", 3),
    ("down", "Down-filled shell", 5),
]

# code, name, province
REGIONS = [
    ("guangzhou-panyu", "Panyu, Guangzhou", "Guangdong"),
    ("guangzhou-xintang", "Xintang (Zengcheng), Guangzhou", "Guangdong"),
    ("dongguan-humen", "Humen, Dongguan", "Guangdong"),
    ("dongguan-dalang", "Dalang, Dongguan", "Guangdong"),
    ("shenzhen-nanyou", "Nanyou, Shenzhen", "Guangdong"),
    ("zhuzhou-lusong", "Lusong, Zhuzhou", "Hunan"),
    ("hangzhou", "Hangzhou (Sijiqing, Linping)", "Zhejiang"),
    ("tongxiang-puyuan", "Puyuan, Tongxiang", "Zhejiang"),
    ("huzhou-zhili", "Zhili, Huzhou", "Zhejiang"),
    ("ningbo", "Ningbo", "Zhejiang"),
    ("changshu", "Changshu", "Jiangsu"),
    ("shishi-jinjiang", "Shishi and Jinjiang", "Fujian"),
    ("qingdao", "Qingdao", "Shandong"),
    ("shanghai", "Shanghai", "Shanghai"),
    ("beijing", "Beijing", "Beijing"),
    ("urumqi", "Urumqi", "Xinjiang"),
]
