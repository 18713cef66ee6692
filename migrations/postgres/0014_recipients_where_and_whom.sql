-- A recipient says the nation whose embassy it is (`represents`, required of an embassy of the study
-- country) and where it stands (`located_in`, required of a home country mission). Recipients registered
-- before have neither (NULL), and the sharing rule gives them nothing until they are registered again.
ALTER TABLE recipients ADD COLUMN represents TEXT;
ALTER TABLE recipients ADD COLUMN located_in TEXT;
