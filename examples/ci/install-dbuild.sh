npm install --global dbuild
dbuild docker install --buildx
dbuild docker status
