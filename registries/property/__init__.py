"""The land register (kinnistusraamat): land units and their four-part title register."""
