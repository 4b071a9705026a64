# Default tables of the Dataverse emulator, written in the tables file format (see docs/emulator.md).
# Column names, types, maximum lengths and option values follow the real Dataverse tables. Every table also gets
# ownerid, createdon, modifiedon, createdby, modifiedby, overriddencreatedon and versionnumber, and (unless declared
# here) statecode/statuscode with Active/Inactive.

table "account" {
  schema_name             = "Account"
  entity_set              = "accounts"
  display_name            = "Account"
  display_collection_name = "Accounts"
  primary_id              = "accountid"
  primary_name            = "name"
  object_type_code        = 1
  metadata_id             = "70816501-edb9-4740-a16c-6a5efbc05d84"

  column "accountid" {
    type         = "uniqueidentifier"
    display_name = "Account"
    create_only  = true
  }
  column "name" {
    type         = "string"
    max_length   = 160
    display_name = "Account Name"
    required     = "application"
  }
  column "accountnumber" {
    type         = "string"
    max_length   = 20
    display_name = "Account Number"
  }
  column "tickersymbol" {
    type         = "string"
    format       = "ticker"
    max_length   = 10
    display_name = "Ticker Symbol"
  }
  column "sic" {
    type         = "string"
    max_length   = 20
    display_name = "SIC Code"
  }

  column "emailaddress1" {
    type         = "string"
    format       = "email"
    max_length   = 100
    display_name = "Email"
  }
  column "emailaddress2" {
    type         = "string"
    format       = "email"
    max_length   = 100
    display_name = "Email Address 2"
  }
  column "emailaddress3" {
    type         = "string"
    format       = "email"
    max_length   = 100
    display_name = "Email Address 3"
  }
  column "telephone1" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Business Phone"
  }
  column "telephone2" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Home Phone"
  }
  column "telephone3" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Telephone 3"
  }
  column "fax" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Fax"
  }
  column "websiteurl" {
    type         = "string"
    format       = "url"
    max_length   = 200
    display_name = "Website"
  }
  column "description" {
    type         = "memo"
    max_length   = 2000
    display_name = "Description"
  }
  column "preferredcontactmethodcode" {
    type         = "picklist"
    display_name = "Preferred Method of Contact"
    options      = { "Any" = 1, "Email" = 2, "Phone" = 3, "Fax" = 4, "Mail" = 5 }
  }
  column "donotemail" {
    type         = "boolean"
    display_name = "Do not allow Emails"
    true_label   = "Do Not Allow"
    false_label  = "Allow"
  }
  column "donotphone" {
    type         = "boolean"
    display_name = "Do not allow Phone Calls"
    true_label   = "Do Not Allow"
    false_label  = "Allow"
  }
  column "donotbulkemail" {
    type         = "boolean"
    display_name = "Do not allow Bulk Emails"
    true_label   = "Do Not Allow"
    false_label  = "Allow"
  }

  column "address1_name" {
    type         = "string"
    max_length   = 200
    display_name = "Address 1: Name"
  }
  column "address1_line1" {
    type         = "string"
    max_length   = 250
    display_name = "Address 1: Street 1"
  }
  column "address1_line2" {
    type         = "string"
    max_length   = 250
    display_name = "Address 1: Street 2"
  }
  column "address1_line3" {
    type         = "string"
    max_length   = 250
    display_name = "Address 1: Street 3"
  }
  column "address1_city" {
    type         = "string"
    max_length   = 80
    display_name = "Address 1: City"
  }
  column "address1_stateorprovince" {
    type         = "string"
    max_length   = 50
    display_name = "Address 1: State/Province"
  }
  column "address1_postalcode" {
    type         = "string"
    max_length   = 20
    display_name = "Address 1: ZIP/Postal Code"
  }
  column "address1_country" {
    type         = "string"
    max_length   = 80
    display_name = "Address 1: Country/Region"
  }
  column "address1_telephone1" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Address 1: Telephone 1"
  }
  column "address1_latitude" {
    type         = "double"
    min          = -90
    max          = 90
    precision    = 5
    display_name = "Address 1: Latitude"
  }
  column "address1_longitude" {
    type         = "double"
    min          = -180
    max          = 180
    precision    = 5
    display_name = "Address 1: Longitude"
  }

  column "industrycode" {
    type         = "picklist"
    display_name = "Industry"
    options = {
      "Accounting" = 1, "Agriculture and Non-petrol Natural Resource Extraction" = 2,
      "Broadcasting Printing and Publishing" = 3, "Brokers" = 4, "Building Supply Retail" = 5,
      "Business Services" = 6, "Consulting" = 7, "Consumer Services" = 8, "Design, Direction and Creative Management" = 9,
      "Distributors, Dispatchers and Processors" = 10, "Doctor's Offices and Clinics" = 11,
      "Durable Manufacturing" = 12, "Eating and Drinking Places" = 13, "Entertainment Retail" = 14,
      "Equipment Rental and Leasing" = 15, "Financial" = 16, "Food and Tobacco Processing" = 17,
      "Inbound Capital Intensive Processing" = 18, "Inbound Repair and Services" = 19, "Insurance" = 20,
      "Legal Services" = 21, "Non-Durable Merchandise Retail" = 22, "Outbound Consumer Service" = 23,
      "Petrochemical Extraction and Distribution" = 24, "Service Retail" = 25, "SIG Affiliations" = 26,
      "Social Services" = 27, "Special Outbound Trade Contractors" = 28, "Specialty Realty" = 29,
      "Transportation" = 30, "Utility Creation and Distribution" = 31, "Vehicle Retail" = 32, "Wholesale" = 33
    }
  }

  column "accountcategorycode" {
    type         = "picklist"
    metadata_id  = "118771ca-6fb9-4f60-8fd4-99b6124b63ad"
    display_name = "Category"
    options      = { "Preferred Customer" = 1, "Standard" = 2 }
  }
  column "customertypecode" {
    type         = "picklist"
    display_name = "Relationship Type"
    options = {
      "Competitor" = 1, "Consultant" = 2, "Customer" = 3, "Investor" = 4, "Partner" = 5, "Influencer" = 6,
      "Press" = 7, "Prospect" = 8, "Reseller" = 9, "Supplier" = 10, "Vendor" = 11, "Other" = 12
    }
  }
  column "revenue" {
    type         = "money"
    min          = 0
    max          = 100000000000000
    precision    = 2
    display_name = "Annual Revenue"
  }
  column "creditlimit" {
    type         = "money"
    min          = 0
    max          = 100000000000000
    precision    = 2
    display_name = "Credit Limit"
  }
  column "creditonhold" {
    type         = "boolean"
    display_name = "Credit Hold"
  }
  column "numberofemployees" {
    type         = "integer"
    min          = 0
    max          = 1000000000
    display_name = "Number of Employees"
  }
  column "parentaccountid" {
    type          = "lookup"
    display_name  = "Parent Account"
    targets       = ["account"]
    relationships = { account = "account_parent_account" }
  }
  column "primarycontactid" {
    type          = "lookup"
    display_name  = "Primary Contact"
    targets       = ["contact"]
    relationships = { contact = "account_primary_contact" }
  }
  column "originatingleadid" {
    type          = "lookup"
    display_name  = "Originating Lead"
    targets       = ["lead"]
    relationships = { lead = "account_originating_lead" }
  }
  column "statecode" {
    type         = "state"
    display_name = "Status"
    options      = { "Active" = 0, "Inactive" = 1 }
    required     = "system"
  }
  column "statuscode" {
    type         = "status"
    display_name = "Status Reason"
    options      = { "Active" = 1, "Inactive" = 2 }
    states       = { "Active" = 0, "Inactive" = 1 }
  }
}

table "contact" {
  schema_name             = "Contact"
  entity_set              = "contacts"
  display_name            = "Contact"
  display_collection_name = "Contacts"
  primary_id              = "contactid"
  primary_name            = "fullname"
  object_type_code        = 2

  # Not in a fresh Dataverse environment: an alternate key on the primary email, so upserts by email work out of the
  # box. Remove it with remove_keys = ["emailaddress1"] in a tables file.
  key "emailaddress1" {
    schema_name = "EmailAddress1Key"
    columns     = ["emailaddress1"]
  }

  column "contactid" {
    type         = "uniqueidentifier"
    display_name = "Contact"
    create_only  = true
  }

  column "firstname" {
    type         = "string"
    max_length   = 50
    display_name = "First Name"
    required     = "recommended"
  }
  column "middlename" {
    type         = "string"
    max_length   = 50
    display_name = "Middle Name"
  }
  column "lastname" {
    type         = "string"
    max_length   = 50
    display_name = "Last Name"
    required     = "application"
  }
  column "fullname" {
    type         = "string"
    max_length   = 160
    display_name = "Full Name"
    computed     = ["firstname", "middlename", "lastname"]
  }
  column "salutation" {
    type         = "string"
    max_length   = 100
    display_name = "Salutation"
  }
  column "jobtitle" {
    type         = "string"
    max_length   = 100
    display_name = "Job Title"
  }
  column "mobilephone" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Mobile Phone"
  }

  column "emailaddress1" {
    type         = "string"
    format       = "email"
    max_length   = 100
    display_name = "Email"
  }
  column "emailaddress2" {
    type         = "string"
    format       = "email"
    max_length   = 100
    display_name = "Email Address 2"
  }
  column "emailaddress3" {
    type         = "string"
    format       = "email"
    max_length   = 100
    display_name = "Email Address 3"
  }
  column "telephone1" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Business Phone"
  }
  column "telephone2" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Home Phone"
  }
  column "telephone3" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Telephone 3"
  }
  column "fax" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Fax"
  }
  column "websiteurl" {
    type         = "string"
    format       = "url"
    max_length   = 200
    display_name = "Website"
  }
  column "description" {
    type         = "memo"
    max_length   = 2000
    display_name = "Description"
  }
  column "preferredcontactmethodcode" {
    type         = "picklist"
    display_name = "Preferred Method of Contact"
    options      = { "Any" = 1, "Email" = 2, "Phone" = 3, "Fax" = 4, "Mail" = 5 }
  }
  column "donotemail" {
    type         = "boolean"
    display_name = "Do not allow Emails"
    true_label   = "Do Not Allow"
    false_label  = "Allow"
  }
  column "donotphone" {
    type         = "boolean"
    display_name = "Do not allow Phone Calls"
    true_label   = "Do Not Allow"
    false_label  = "Allow"
  }
  column "donotbulkemail" {
    type         = "boolean"
    display_name = "Do not allow Bulk Emails"
    true_label   = "Do Not Allow"
    false_label  = "Allow"
  }

  column "address1_name" {
    type         = "string"
    max_length   = 200
    display_name = "Address 1: Name"
  }
  column "address1_line1" {
    type         = "string"
    max_length   = 250
    display_name = "Address 1: Street 1"
  }
  column "address1_line2" {
    type         = "string"
    max_length   = 250
    display_name = "Address 1: Street 2"
  }
  column "address1_line3" {
    type         = "string"
    max_length   = 250
    display_name = "Address 1: Street 3"
  }
  column "address1_city" {
    type         = "string"
    max_length   = 80
    display_name = "Address 1: City"
  }
  column "address1_stateorprovince" {
    type         = "string"
    max_length   = 50
    display_name = "Address 1: State/Province"
  }
  column "address1_postalcode" {
    type         = "string"
    max_length   = 20
    display_name = "Address 1: ZIP/Postal Code"
  }
  column "address1_country" {
    type         = "string"
    max_length   = 80
    display_name = "Address 1: Country/Region"
  }
  column "address1_telephone1" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Address 1: Telephone 1"
  }
  column "address1_latitude" {
    type         = "double"
    min          = -90
    max          = 90
    precision    = 5
    display_name = "Address 1: Latitude"
  }
  column "address1_longitude" {
    type         = "double"
    min          = -180
    max          = 180
    precision    = 5
    display_name = "Address 1: Longitude"
  }

  column "nickname" {
    type         = "string"
    max_length   = 100
    display_name = "Nickname"
  }
  column "department" {
    type         = "string"
    max_length   = 100
    display_name = "Department"
  }
  column "birthdate" {
    type         = "datetime"
    format       = "date"
    behavior     = "date_only"
    display_name = "Birthday"
  }
  column "gendercode" {
    type         = "picklist"
    display_name = "Gender"
    options      = { "Male" = 1, "Female" = 2 }
  }
  column "familystatuscode" {
    type         = "picklist"
    display_name = "Marital Status"
    options      = { "Single" = 1, "Married" = 2, "Divorced" = 3, "Widowed" = 4 }
  }
  column "leadsourcecode" {
    type         = "picklist"
    display_name = "Lead Source"
    options      = { "Default Value" = 1 }
  }
  column "creditlimit" {
    type         = "money"
    min          = 0
    max          = 100000000000000
    precision    = 2
    display_name = "Credit Limit"
  }
  column "annualincome" {
    type         = "money"
    min          = 0
    max          = 100000000000000
    precision    = 2
    display_name = "Annual Income"
  }
  column "numberofchildren" {
    type         = "integer"
    min          = 0
    max          = 1000000000
    display_name = "No. of Children"
  }
  column "parentcustomerid" {
    type          = "customer"
    display_name  = "Company Name"
    targets       = ["account", "contact"]
    navigation    = { account = "parentcustomerid_account", contact = "parentcustomerid_contact" }
    relationships = { account = "contact_customer_accounts", contact = "contact_customer_contacts" }
  }
  column "originatingleadid" {
    type          = "lookup"
    display_name  = "Originating Lead"
    targets       = ["lead"]
    relationships = { lead = "contact_originating_lead" }
  }
  column "statecode" {
    type         = "state"
    display_name = "Status"
    options      = { "Active" = 0, "Inactive" = 1 }
    required     = "system"
  }
  column "statuscode" {
    type         = "status"
    display_name = "Status Reason"
    options      = { "Active" = 1, "Inactive" = 2 }
    states       = { "Active" = 0, "Inactive" = 1 }
  }
}

table "lead" {
  schema_name             = "Lead"
  entity_set              = "leads"
  display_name            = "Lead"
  display_collection_name = "Leads"
  primary_id              = "leadid"
  primary_name            = "fullname"
  object_type_code        = 4

  column "leadid" {
    type         = "uniqueidentifier"
    display_name = "Lead"
    create_only  = true
  }
  column "subject" {
    type         = "string"
    max_length   = 300
    display_name = "Topic"
    required     = "application"
  }

  column "firstname" {
    type         = "string"
    max_length   = 50
    display_name = "First Name"
    required     = "recommended"
  }
  column "middlename" {
    type         = "string"
    max_length   = 50
    display_name = "Middle Name"
  }
  column "lastname" {
    type         = "string"
    max_length   = 50
    display_name = "Last Name"
    required     = "application"
  }
  column "fullname" {
    type         = "string"
    max_length   = 160
    display_name = "Full Name"
    computed     = ["firstname", "middlename", "lastname"]
  }
  column "salutation" {
    type         = "string"
    max_length   = 100
    display_name = "Salutation"
  }
  column "jobtitle" {
    type         = "string"
    max_length   = 100
    display_name = "Job Title"
  }
  column "mobilephone" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Mobile Phone"
  }

  column "emailaddress1" {
    type         = "string"
    format       = "email"
    max_length   = 100
    display_name = "Email"
  }
  column "emailaddress2" {
    type         = "string"
    format       = "email"
    max_length   = 100
    display_name = "Email Address 2"
  }
  column "emailaddress3" {
    type         = "string"
    format       = "email"
    max_length   = 100
    display_name = "Email Address 3"
  }
  column "telephone1" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Business Phone"
  }
  column "telephone2" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Home Phone"
  }
  column "telephone3" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Telephone 3"
  }
  column "fax" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Fax"
  }
  column "websiteurl" {
    type         = "string"
    format       = "url"
    max_length   = 200
    display_name = "Website"
  }
  column "description" {
    type         = "memo"
    max_length   = 2000
    display_name = "Description"
  }
  column "preferredcontactmethodcode" {
    type         = "picklist"
    display_name = "Preferred Method of Contact"
    options      = { "Any" = 1, "Email" = 2, "Phone" = 3, "Fax" = 4, "Mail" = 5 }
  }
  column "donotemail" {
    type         = "boolean"
    display_name = "Do not allow Emails"
    true_label   = "Do Not Allow"
    false_label  = "Allow"
  }
  column "donotphone" {
    type         = "boolean"
    display_name = "Do not allow Phone Calls"
    true_label   = "Do Not Allow"
    false_label  = "Allow"
  }
  column "donotbulkemail" {
    type         = "boolean"
    display_name = "Do not allow Bulk Emails"
    true_label   = "Do Not Allow"
    false_label  = "Allow"
  }

  column "address1_name" {
    type         = "string"
    max_length   = 200
    display_name = "Address 1: Name"
  }
  column "address1_line1" {
    type         = "string"
    max_length   = 250
    display_name = "Address 1: Street 1"
  }
  column "address1_line2" {
    type         = "string"
    max_length   = 250
    display_name = "Address 1: Street 2"
  }
  column "address1_line3" {
    type         = "string"
    max_length   = 250
    display_name = "Address 1: Street 3"
  }
  column "address1_city" {
    type         = "string"
    max_length   = 80
    display_name = "Address 1: City"
  }
  column "address1_stateorprovince" {
    type         = "string"
    max_length   = 50
    display_name = "Address 1: State/Province"
  }
  column "address1_postalcode" {
    type         = "string"
    max_length   = 20
    display_name = "Address 1: ZIP/Postal Code"
  }
  column "address1_country" {
    type         = "string"
    max_length   = 80
    display_name = "Address 1: Country/Region"
  }
  column "address1_telephone1" {
    type         = "string"
    format       = "phone"
    max_length   = 50
    display_name = "Address 1: Telephone 1"
  }
  column "address1_latitude" {
    type         = "double"
    min          = -90
    max          = 90
    precision    = 5
    display_name = "Address 1: Latitude"
  }
  column "address1_longitude" {
    type         = "double"
    min          = -180
    max          = 180
    precision    = 5
    display_name = "Address 1: Longitude"
  }

  column "industrycode" {
    type         = "picklist"
    display_name = "Industry"
    options = {
      "Accounting" = 1, "Agriculture and Non-petrol Natural Resource Extraction" = 2,
      "Broadcasting Printing and Publishing" = 3, "Brokers" = 4, "Building Supply Retail" = 5,
      "Business Services" = 6, "Consulting" = 7, "Consumer Services" = 8, "Design, Direction and Creative Management" = 9,
      "Distributors, Dispatchers and Processors" = 10, "Doctor's Offices and Clinics" = 11,
      "Durable Manufacturing" = 12, "Eating and Drinking Places" = 13, "Entertainment Retail" = 14,
      "Equipment Rental and Leasing" = 15, "Financial" = 16, "Food and Tobacco Processing" = 17,
      "Inbound Capital Intensive Processing" = 18, "Inbound Repair and Services" = 19, "Insurance" = 20,
      "Legal Services" = 21, "Non-Durable Merchandise Retail" = 22, "Outbound Consumer Service" = 23,
      "Petrochemical Extraction and Distribution" = 24, "Service Retail" = 25, "SIG Affiliations" = 26,
      "Social Services" = 27, "Special Outbound Trade Contractors" = 28, "Specialty Realty" = 29,
      "Transportation" = 30, "Utility Creation and Distribution" = 31, "Vehicle Retail" = 32, "Wholesale" = 33
    }
  }

  column "companyname" {
    type         = "string"
    max_length   = 100
    display_name = "Company Name"
  }
  column "leadsourcecode" {
    type         = "picklist"
    display_name = "Lead Source"
    options = {
      "Advertisement" = 1, "Employee Referral" = 2, "External Referral" = 3, "Partner" = 4, "Public Relations" = 5,
      "Seminar" = 6, "Trade Show" = 7, "Web" = 8, "Word of Mouth" = 9, "Other" = 10
    }
  }
  column "leadqualitycode" {
    type         = "picklist"
    display_name = "Rating"
    options      = { "Hot" = 1, "Warm" = 2, "Cold" = 3 }
  }
  column "revenue" {
    type         = "money"
    min          = 0
    max          = 100000000000000
    precision    = 2
    display_name = "Annual Revenue"
  }
  column "numberofemployees" {
    type         = "integer"
    min          = 0
    max          = 1000000000
    display_name = "No. of Employees"
  }
  column "parentaccountid" {
    type          = "lookup"
    display_name  = "Parent Account for lead"
    targets       = ["account"]
    relationships = { account = "account_parent_account_lead" }
  }
  column "parentcontactid" {
    type          = "lookup"
    display_name  = "Parent Contact for lead"
    targets       = ["contact"]
    relationships = { contact = "contact_parent_contact_lead" }
  }
  column "customerid" {
    type          = "customer"
    display_name  = "Customer"
    targets       = ["account", "contact"]
    navigation    = { account = "customerid_account", contact = "customerid_contact" }
    relationships = { account = "lead_customer_accounts", contact = "lead_customer_contacts" }
  }
  column "statecode" {
    type         = "state"
    display_name = "Status"
    options      = { "Open" = 0, "Qualified" = 1, "Disqualified" = 2 }
    required     = "system"
  }
  column "statuscode" {
    type         = "status"
    display_name = "Status Reason"
    options = {
      "New" = 1, "Contacted" = 2, "Qualified" = 3, "Lost" = 4, "Cannot Contact" = 5, "No Longer Interested" = 6,
      "Canceled" = 7
    }
    states = {
      "New" = 0, "Contacted" = 0, "Qualified" = 1, "Lost" = 2, "Cannot Contact" = 2, "No Longer Interested" = 2,
      "Canceled" = 2
    }
  }
}

table "task" {
  schema_name             = "Task"
  entity_set              = "tasks"
  display_name            = "Task"
  display_collection_name = "Tasks"
  primary_id              = "activityid"
  primary_name            = "subject"
  object_type_code        = 4212

  column "activityid" {
    type         = "uniqueidentifier"
    display_name = "Task"
    create_only  = true
  }
  column "subject" {
    type         = "string"
    max_length   = 200
    display_name = "Subject"
    required     = "application"
  }
  column "description" {
    type         = "memo"
    max_length   = 2000
    display_name = "Description"
  }
  column "scheduledend" {
    type         = "datetime"
    display_name = "Due"
  }
  column "prioritycode" {
    type         = "picklist"
    display_name = "Priority"
    options      = { "Low" = 0, "Normal" = 1, "High" = 2 }
  }
  column "regardingobjectid" {
    type         = "lookup"
    display_name = "Regarding"
    targets      = ["account", "contact", "lead"]
    navigation = {
      account = "regardingobjectid_account_task", contact = "regardingobjectid_contact_task",
      lead    = "regardingobjectid_lead_task"
    }
    relationships = { account = "Account_Tasks", contact = "Contact_Tasks", lead = "Lead_Tasks" }
  }
  column "statecode" {
    type         = "state"
    display_name = "Activity Status"
    options      = { "Open" = 0, "Completed" = 1, "Canceled" = 2 }
    required     = "system"
  }
  column "statuscode" {
    type         = "status"
    display_name = "Status Reason"
    options      = { "Not Started" = 2, "In Progress" = 3, "Waiting on someone else" = 4, "Completed" = 5, "Canceled" = 6, "Deferred" = 7 }
    states       = { "Not Started" = 0, "In Progress" = 0, "Waiting on someone else" = 0, "Completed" = 1, "Canceled" = 2, "Deferred" = 0 }
  }
}

table "systemuser" {
  schema_name             = "SystemUser"
  entity_set              = "systemusers"
  display_name            = "User"
  display_collection_name = "Users"
  primary_id              = "systemuserid"
  primary_name            = "fullname"
  object_type_code        = 8
  bulk_operations         = false

  column "systemuserid" {
    type         = "uniqueidentifier"
    display_name = "User"
    create_only  = true
  }
  column "fullname" {
    type         = "string"
    max_length   = 200
    display_name = "Full Name"
  }
  column "domainname" {
    type         = "string"
    max_length   = 1024
    display_name = "User Name"
  }
  column "internalemailaddress" {
    type         = "string"
    format       = "email"
    max_length   = 100
    display_name = "Primary Email"
  }
  column "applicationid" {
    type         = "uniqueidentifier"
    display_name = "Application ID"
  }
  column "isdisabled" {
    type         = "boolean"
    display_name = "Status"
    true_label   = "Disabled"
    false_label  = "Enabled"
  }
}

table "team" {
  schema_name             = "Team"
  entity_set              = "teams"
  display_name            = "Team"
  display_collection_name = "Teams"
  primary_id              = "teamid"
  primary_name            = "name"
  object_type_code        = 9
  bulk_operations         = false

  column "teamid" {
    type         = "uniqueidentifier"
    display_name = "Team"
    create_only  = true
  }
  column "name" {
    type         = "string"
    max_length   = 160
    display_name = "Team Name"
    required     = "system"
  }
}
