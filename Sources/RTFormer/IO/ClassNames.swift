/// The one list of dataset class names, in label order (label k is `names[k]`), and the rule that
/// decides when they may label a model's outputs.
///
/// Sources: CIFAR-10 `batches.meta.txt`, CIFAR-100 `fine_label_names.txt` and
/// `coarse_label_names.txt` (Krizhevsky 2009); DVS128 Gesture's 11 classes (Amir et al. 2017), in
/// the 0-based order of spikingjelly's `DVS128Gesture` (its label = the dataset's 1-based class − 1);
/// N-MNIST and the bundled `digits` model: the digits 0–9.
public enum ClassNames {
    /// CIFAR-10, 10 classes.
    public static let cifar10 = [
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    ]

    /// CIFAR-100 fine classes, 100 (alphabetical).
    public static let cifar100Fine = [
        "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
        "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
        "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
        "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
        "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
        "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
        "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
        "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
        "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
        "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
    ]

    /// CIFAR-100 superclasses, 20.
    public static let cifar100Coarse = [
        "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables",
        "household_electrical_devices", "household_furniture", "insects", "large_carnivores",
        "large_man-made_outdoor_things", "large_natural_outdoor_scenes", "large_omnivores_and_herbivores",
        "medium_mammals", "non-insect_invertebrates", "people", "reptiles", "small_mammals", "trees",
        "vehicles_1", "vehicles_2",
    ]

    /// DVS128 Gesture, 11 classes, 0-based.
    public static let dvsGesture = [
        "hand clapping", "right hand wave", "left hand wave", "right arm clockwise", "right arm counter-clockwise",
        "left arm clockwise", "left arm counter-clockwise", "arm roll", "air drums", "air guitar", "other gestures",
    ]

    /// N-MNIST and the bundled `digits` model, 10 classes.
    public static let digits = (0...9).map { "digit \($0)" }

    /// How warnings name the dataset a list belongs to (`CIFAR-100`), or "the input's dataset".
    public static func datasetName(of names: [String]) -> String {
        switch names {
        case cifar10: "CIFAR-10"
        case cifar100Fine: "CIFAR-100"
        case cifar100Coarse: "CIFAR-100 (superclasses)"
        case dvsGesture: "DVS Gesture"
        case digits: "digits"
        default: "the input's dataset"
        }
    }

    /// The names to label `classes` outputs with: `names` when they have exactly `classes`
    /// entries, else nil and a one-line warning saying why the outputs read `class k`.
    /// - Parameters:
    ///   - names: the input's dataset class names (nil: none known).
    ///   - dataset: how the warning names the dataset (`CIFAR-100`).
    ///   - classes: the model head's output count.
    public static func fitting(_ names: [String]?, dataset: String, classes: Int) -> (names: [String]?, warning: String?) {
        guard let names else { return (nil, nil) }
        guard names.count == classes else {
            return (nil, "\(dataset) has \(names.count) classes but the model head has \(classes) outputs: logits are labelled `class k`")
        }
        return (names, nil)
    }
}
