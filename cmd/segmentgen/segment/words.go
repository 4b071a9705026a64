package segment

var firstNames = []string{
	"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
	"William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen",
	"Christopher", "Lisa", "Daniel", "Nancy", "Matthew", "Betty", "Anthony", "Margaret", "Mark", "Sandra",
	"Sofia", "Lucas", "Emma", "Noah", "Olivia", "Liam", "Amelia", "Mateo", "Isabella", "Hugo",
	"Chloé", "Léa", "Jürgen", "Zoë", "Björn", "Inés", "Yuki", "Aarav", "Fatima", "Wei",
}

var lastNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
	"Müller", "Schmidt", "Dubois", "Rossi", "Nakamura", "Kowalski", "Novak", "Jensen", "O'Brien", "Van Dijk",
}

var companyWords = []string{
	"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Wonka", "Tyrell",
	"Cyberdyne", "Soylent", "Massive Dynamic", "Aperture", "Black Mesa", "Gringotts", "Oscorp", "Monarch",
	"Nakatomi", "Pied Piper", "Dunder Mifflin", "Prestige", "Sterling", "Bluth", "Krusty", "Gekko",
	"Northwind", "Contoso", "Fabrikam", "Tailspin", "Adventure Works", "Litware", "Proseware", "Woodgrove",
}

var companySuffixes = []string{"Inc", "LLC", "Ltd", "GmbH", "SA", "BV", "Group", "Holdings", "Corp", "AG"}

var tlds = []string{".com", ".com", ".com", ".io", ".co.uk", ".de", ".fr", ".net", ".org", ".nl"}

var segments = []string{
	"enterprise", "mid-market", "smb", "smb", "smb", "consumer", "consumer", "churn-risk", "new", "vip",
}

type city struct{ name, country string }

var cities = []city{
	{"New York", "US"}, {"Los Angeles", "US"}, {"Chicago", "US"}, {"Houston", "US"}, {"Seattle", "US"},
	{"Austin", "US"}, {"Boston", "US"}, {"Denver", "US"}, {"London", "GB"}, {"Manchester", "GB"},
	{"Edinburgh", "GB"}, {"Berlin", "DE"}, {"Munich", "DE"}, {"Hamburg", "DE"}, {"Paris", "FR"},
	{"Lyon", "FR"}, {"Amsterdam", "NL"}, {"Rotterdam", "NL"}, {"Madrid", "ES"}, {"Barcelona", "ES"},
	{"Milan", "IT"}, {"Rome", "IT"}, {"Warsaw", "PL"}, {"Stockholm", "SE"}, {"Copenhagen", "DK"},
	{"Dublin", "IE"}, {"Zürich", "CH"}, {"Vienna", "AT"}, {"Toronto", "CA"}, {"Vancouver", "CA"},
	{"Sydney", "AU"}, {"Melbourne", "AU"}, {"Tokyo", "JP"}, {"Singapore", "SG"}, {"São Paulo", "BR"},
}
